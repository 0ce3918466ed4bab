import { Body, Controller, Get, Put, Query, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authorize, Caller, KeywardAuthGuard } from '@keyward/platform';
import { requireLocation } from '../common/locations';
import { KmsSettingsService, kmsSettingsView } from './kms-settings.service';

const onAccount = (_request: unknown, caller: AuthenticatedCaller) => ({ serviceName: 'schematics', accountId: caller.principal.accountId });

/** Thin: the rules live in KmsSettingsService (docs/consumers/schematics.md). */
@Controller('v2/settings/kms')
@UseGuards(KeywardAuthGuard)
export class KmsSettingsController {
  constructor(private readonly settings: KmsSettingsService) {}

  @Get()
  @Authorize('schematics.kms-settings.read', onAccount)
  async get(@Caller() caller: AuthenticatedCaller, @Query('location') location: unknown) {
    return kmsSettingsView(await this.settings.get(caller.principal.accountId, requireLocation(location)));
  }

  @Put()
  @Authorize('schematics.kms-settings.write', onAccount)
  async enable(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    return kmsSettingsView(await this.settings.enable(caller.principal.accountId, body));
  }
}
