import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import type { KmsInstance } from '../instances/instance.repository';
import { CryptoUnitsService } from './crypto-units.service';

/** The instance comes from the path here (KmsAuthGuard reads `:id` under /crypto_v1). */
@Controller('crypto_v1/instances/:id')
@UseGuards(KmsAuthGuard)
export class CryptoUnitsController {
  constructor(private readonly units: CryptoUnitsService) {}

  @Get()
  @Authenticated()
  info(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'domain.status' };
    return this.units.info(caller, instance, `${request.protocol}://${request.headers.host ?? ''}`);
  }

  @Post('ceremony/init')
  @Authenticated()
  @HttpCode(200)
  init(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'domain.ceremony-init' };
    return this.units.ceremonyInit(caller, instance, body);
  }

  @Post('unseal')
  @Authenticated()
  @HttpCode(200)
  unseal(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'domain.unseal' };
    return this.units.submit(caller, instance, 'unseal', body);
  }

  @Post('rotate-master-key')
  @Authenticated()
  @HttpCode(200)
  rotate(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'domain.rotate-master-key' };
    return this.units.submit(caller, instance, 'rotate-master-key', body);
  }

  @Post('seal')
  @Authenticated()
  @HttpCode(200)
  seal(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'domain.seal' };
    return this.units.seal(caller, instance);
  }
}
