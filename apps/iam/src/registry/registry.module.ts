import { Global, Module } from '@nestjs/common';
import { RegistryController } from './registry.controller';
import { RegistryHandlers } from './registry.handlers';
import { RegistryRepository } from './registry.repository';
import { RegistryService } from './registry.service';

/** The resource registry: HTTP for people and services, NATS for services. */
@Global()
@Module({ controllers: [RegistryController, RegistryHandlers], providers: [RegistryRepository, RegistryService], exports: [RegistryRepository] })
export class RegistryModule {}
