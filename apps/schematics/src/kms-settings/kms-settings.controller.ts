import { Body, Controller, Get, Headers, Put, Query, UseGuards } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { type AuthenticatedCaller, Authorize, Caller, KeywardAuthGuard, bearerToken } from '@keyward/platform';
import { type Location, requireLocation, requireScheme } from '../common/locations';
import { KmsInstancesService } from './kms-instances.service';
import { KmsSettingsService, kmsSettingsView } from './kms-settings.service';

const onAccount = (_request: unknown, caller: AuthenticatedCaller) => ({ serviceName: 'schematics', accountId: caller.principal.accountId });

/** Thin: the rules live in KmsSettingsService (docs/consumers/schematics.md). */
@Controller('v2/settings/kms')
@UseGuards(KeywardAuthGuard)
export class KmsSettingsController {
  constructor(
    private readonly settings: KmsSettingsService,
    private readonly instances: KmsInstancesService,
  ) {}

  @Get('instances')
  @Authorize('schematics.kms-settings.read', onAccount)
  listInstances(@Caller() caller: AuthenticatedCaller, @Headers('authorization') authorization: string | undefined, @Query('location') location: unknown, @Query('scheme') scheme: unknown) {
    const token = bearerToken(authorization);
    if (!token) throw new DomainError('UNAUTHORIZED_ERR');
    return this.instances.list(caller.principal.accountId, token, requireLocation(location), requireScheme(scheme));
  }

  @Get()
  @Authorize('schematics.kms-settings.read', onAccount)
  async get(@Caller() caller: AuthenticatedCaller, @Query('location') location: unknown) {
    const where = requireLocation(location);
    const setting = await this.settings.get(caller.principal.accountId, where);
    return kmsSettingsView(setting, await this.settings.reencryption(caller.principal.accountId, where));
  }

  @Put()
  @Authorize('schematics.kms-settings.write', onAccount)
  async enable(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    const setting = await this.settings.enable(caller.principal.accountId, body);
    return kmsSettingsView(setting, await this.settings.reencryption(caller.principal.accountId, setting.location as Location));
  }
}
