import { Global, Module } from '@nestjs/common';
import { AUTHZ_DECIDER, AUTH_VERIFIER, INSTANCE_LOOKUP, JwtVerifier, KeywardAuthGuard } from '@keyward/platform';
import { RegistryRepository } from '../registry/registry.repository';
import { SigningKeyStore } from '../tokens/signing-key-store';
import { AuthzController } from './authz.controller';
import { AuthzHandlers } from './authz.handlers';
import { AuthzService } from './authz.service';

/**
 * Decisions (NATS and HTTP), and the platform guard wired to IAM's own parts: tokens verified against
 * the local key store, decisions from the engine, instances from the registry — no NATS hop to itself.
 */
@Global()
@Module({
  controllers: [AuthzController, AuthzHandlers],
  providers: [
    AuthzService,
    { provide: AUTH_VERIFIER, inject: [SigningKeyStore], useFactory: (keys: SigningKeyStore) => new JwtVerifier(keys.getKey) },
    { provide: AUTHZ_DECIDER, useExisting: AuthzService },
    { provide: INSTANCE_LOOKUP, inject: [RegistryRepository], useFactory: (registry: RegistryRepository) => (guid: string) => registry.findByGuid(guid) },
    KeywardAuthGuard,
  ],
  exports: [AuthzService, AUTH_VERIFIER, AUTHZ_DECIDER, INSTANCE_LOOKUP, KeywardAuthGuard],
})
export class AuthzModule {}
