import { Module } from '@nestjs/common';
import { InstancePoliciesRepository } from './instance-policies.repository';
import { NetworkAdmission } from './network-admission';

/** The stored instance policies and their enforcement on every call (no routes: the guard uses it). */
@Module({ providers: [InstancePoliciesRepository, NetworkAdmission], exports: [InstancePoliciesRepository, NetworkAdmission] })
export class InstancePolicyStoreModule {}
