import { Global, Module } from '@nestjs/common';
import { RegistryController } from './registry.controller';
import { RegistryHandlers } from './registry.handlers';
import { RegistryRepository } from './registry.repository';
import { RegistryService } from './registry.service';
import { ResourceGroupsController } from './resource-groups.controller';

/** The resource registry: HTTP for people and services, NATS for services. */
@Global()
@Module({ controllers: [RegistryController, ResourceGroupsController, RegistryHandlers], providers: [RegistryRepository, RegistryService], exports: [RegistryRepository] })
export class RegistryModule {}
