import { Body, Controller, Get, Post } from '@nestjs/common';
import { CurrentInstance } from '../access/app-config.guard';
import { INSTANCE_ROUTE, Requires } from '../access/routes';
import type { AppConfigInstance } from '../instances/instance.repository';
import { IntegrationsService } from './integrations.service';

/** "Connected instance": the Key Management integration (a Manager connects; anyone who reads segments sees it). */
@Controller(INSTANCE_ROUTE)
export class IntegrationsController {
  constructor(private readonly integrations: IntegrationsService) {}

  @Get('integrations')
  @Requires('segments.read')
  async list(@CurrentInstance() instance: AppConfigInstance) {
    const integrations = await this.integrations.list(instance);
    return { integrations, total_count: integrations.length };
  }

  @Post('integrations')
  @Requires('instance.kms-integration.write')
  connect(@CurrentInstance() instance: AppConfigInstance, @Body() body: unknown) {
    return this.integrations.connect(instance, body);
  }
}
