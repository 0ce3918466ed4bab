import { Body, Controller, Get, Param, Put, Query, Req, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import type { KmsInstance } from '../instances/instance.repository';
import { KeyPoliciesService } from './key-policies.service';

@Controller('api/v2/keys')
@UseGuards(KmsAuthGuard)
export class KeyPoliciesController {
  constructor(private readonly policies: KeyPoliciesService) {}

  @Get(':id/policies')
  @Authenticated()
  get(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Query('policy') policy: string | undefined, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'getPolicies', keyId: id };
    return this.policies.get(caller, instance, id, policy);
  }

  @Put(':id/policies')
  @Authenticated()
  put(
    @Caller() caller: AuthenticatedCaller,
    @Instance() instance: KmsInstance,
    @Param('id') id: string,
    @Query('policy') policy: string | undefined,
    @Body() body: unknown,
    @Req() request: KmsRequest,
  ) {
    request.kmsAudit = { action: 'putPolicies', keyId: id };
    return this.policies.put(caller, instance, id, policy, body);
  }
}
