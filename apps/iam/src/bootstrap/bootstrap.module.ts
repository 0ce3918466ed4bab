import { Module } from '@nestjs/common';
import { BootstrapService } from './bootstrap.service';
import { ServiceKeyInstances } from './service-key-instances';
import { ServiceKeyInstancesRepository } from './service-key-instances.repository';

@Module({ providers: [BootstrapService, ServiceKeyInstances, ServiceKeyInstancesRepository] })
export class BootstrapModule {}
