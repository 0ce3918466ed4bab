import { Module } from '@nestjs/common';
import { InstancePolicyStoreModule } from '../instance-policies/instance-policy-store.module';
import { InstancesModule } from '../instances/instances.module';
import { KmsAccess } from './kms-access';
import { KmsAuthGuard } from './kms-auth.guard';

@Module({ imports: [InstancesModule, InstancePolicyStoreModule], providers: [KmsAccess, KmsAuthGuard], exports: [KmsAccess, KmsAuthGuard, InstancesModule, InstancePolicyStoreModule] })
export class AccessModule {}
