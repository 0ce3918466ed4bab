import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { KeysModule } from '../keys/keys.module';
import { KeyPoliciesController } from './key-policies.controller';
import { KeyPoliciesRepository } from './key-policies.repository';
import { KeyPoliciesService } from './key-policies.service';
import { RotationScheduler } from './rotation.scheduler';

/** Key policies (rotation, dualAuthDelete) and the scheduler that executes rotation policies. */
@Module({
  imports: [AccessModule, KeysModule],
  controllers: [KeyPoliciesController],
  providers: [KeyPoliciesRepository, KeyPoliciesService, RotationScheduler],
  exports: [RotationScheduler],
})
export class KeyPoliciesModule {}
