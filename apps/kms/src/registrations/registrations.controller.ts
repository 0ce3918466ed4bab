import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { AllowRemovedSource, type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import type { KmsInstance } from '../instances/instance.repository';
import { type RegistrationListParams, RegistrationsService } from './registrations.service';
import { unregisterOwnRemovedInstance } from './removed-source-cleanup';

/** Thin: the rules live in RegistrationsService (KEY-PROTECT-API.md §5, §10 for the status codes). */
@Controller('api/v2/keys')
@UseGuards(KmsAuthGuard)
export class RegistrationsController {
  constructor(private readonly registrations: RegistrationsService) {}

  // A static segment: Fastify prefers it over the keys controller's `:id`.
  @Get('registrations')
  @Authenticated()
  // X-Kms-Key-Ring reaches the service as `instance.requestKeyRing` (KmsAuthGuard).
  listAll(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Query() query: RegistrationListParams, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'registrations.list' };
    return this.registrations.listForInstance(caller, instance, query);
  }

  @Get(':id/registrations')
  @Authenticated()
  list(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Query() query: RegistrationListParams, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'registrations.list', keyId: id };
    return this.registrations.listForKey(caller, instance, id, query);
  }

  @Post(':id/registrations/:urlEncodedResourceCRN')
  @Authenticated()
  @HttpCode(201)
  create(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Param('urlEncodedResourceCRN') crn: string, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'registrations.create', keyId: id };
    return this.registrations.create(caller, instance, id, crn, body);
  }

  @Patch(':id/registrations/:urlEncodedResourceCRN')
  @Authenticated()
  patch(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Param('urlEncodedResourceCRN') crn: string, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'registrations.update', keyId: id };
    return this.registrations.update(caller, instance, id, crn, body, 'patch');
  }

  @Put(':id/registrations/:urlEncodedResourceCRN')
  @Authenticated()
  replace(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Param('urlEncodedResourceCRN') crn: string, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'registrations.update', keyId: id };
    return this.registrations.update(caller, instance, id, crn, body, 'put');
  }

  @Delete(':id/registrations/:urlEncodedResourceCRN')
  @Authenticated()
  // The only route a deleted source instance may still use: its own service unregisters it.
  @AllowRemovedSource(unregisterOwnRemovedInstance)
  @HttpCode(204)
  async remove(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Param('urlEncodedResourceCRN') crn: string, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'registrations.delete', keyId: id };
    await this.registrations.remove(caller, instance, id, crn);
  }
}
