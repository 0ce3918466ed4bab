import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { KmsAccess } from './kms-access';
import { KmsAuthGuard } from './kms-auth.guard';

@Module({ imports: [InstancesModule], providers: [KmsAccess, KmsAuthGuard], exports: [KmsAccess, KmsAuthGuard, InstancesModule] })
export class AccessModule {}
