import { Global, Module } from '@nestjs/common';
import { IdentityController } from './identity.controller';
import { IdentityRepository } from './identity.repository';
import { IdentityService } from './identity.service';

/** Accounts, users, service IDs, API keys. */
@Global()
@Module({ controllers: [IdentityController], providers: [IdentityRepository, IdentityService], exports: [IdentityRepository] })
export class IdentityModule {}
