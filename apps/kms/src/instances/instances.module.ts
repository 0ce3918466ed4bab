import { Module } from '@nestjs/common';
import { InstanceRepository } from './instance.repository';
import { InstancesService } from './instances.service';

@Module({ providers: [InstanceRepository, InstancesService], exports: [InstancesService] })
export class InstancesModule {}
