import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { InstancePoliciesController } from './instance-policies.controller';
import { InstancePoliciesService } from './instance-policies.service';
import { InstancePolicyStoreModule } from './instance-policy-store.module';

/** The instance policy API (their enforcement runs in the KMS guard, through InstancePolicyStoreModule). */
@Module({ imports: [AccessModule, InstancePolicyStoreModule], controllers: [InstancePoliciesController], providers: [InstancePoliciesService] })
export class InstancePoliciesModule {}
