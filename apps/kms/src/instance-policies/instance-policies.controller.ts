import { Body, Controller, Get, HttpCode, Put, Query, Req, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import type { KmsInstance } from '../instances/instance.repository';
import { InstancePoliciesService } from './instance-policies.service';

@Controller('api/v2/instance')
@UseGuards(KmsAuthGuard)
export class InstancePoliciesController {
  constructor(private readonly policies: InstancePoliciesService) {}

  @Get('policies')
  @Authenticated()
  get(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Query('policy') policy: string | undefined, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'getInstancePolicies' };
    return this.policies.get(caller, instance, policy);
  }

  @Put('policies')
  @Authenticated()
  @HttpCode(204)
  async put(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Query('policy') policy: string | undefined, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'putInstancePolicies' };
    await this.policies.put(caller, instance, policy, body);
  }

  @Get('allowed_ip_port')
  @Authenticated()
  allowedIpPort(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'getAllowedIpPort' };
    return this.policies.allowedIpPort(caller, instance);
  }
}
