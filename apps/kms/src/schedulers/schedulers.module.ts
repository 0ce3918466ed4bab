import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { LifecycleScheduler } from './lifecycle.scheduler';

@Module({ imports: [KeysModule], providers: [LifecycleScheduler], exports: [LifecycleScheduler] })
export class SchedulersModule {}
