import { UseGuards, applyDecorators } from '@nestjs/common';
import { Authenticated } from '@keyward/platform';
import { type AppConfigAction, AppConfigGuard, RequiresAction } from './app-config.guard';

/** Every instance route's prefix (IBM App Configuration's feature API). */
export const INSTANCE_ROUTE = 'apprapp/feature/v1/instances/:guid';

/** A route that needs `apprapp.<action>` on the path's instance. */
export const Requires = (action: AppConfigAction) => applyDecorators(Authenticated(), RequiresAction(action), UseGuards(AppConfigGuard));
