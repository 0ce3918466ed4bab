import { Module } from '@nestjs/common';
import { AppConfigGuard } from '../access/app-config.guard';
import { InstanceRepository } from './instance.repository';
import { InstancesService } from './instances.service';

@Module({ providers: [InstanceRepository, InstancesService, AppConfigGuard], exports: [InstanceRepository, InstancesService, AppConfigGuard] })
export class InstancesModule {}
