import { type DynamicModule, Module } from '@nestjs/common';
import { NatsConnectionHolder } from '../nats/nats-connection';
import { RpcClient } from '../nats/rpc-client';
import { SubjectNamespace } from '../nats/subject-namespace';
import { AUTHZ_DECIDER, AUTH_VERIFIER, INSTANCE_LOOKUP, KeywardAuthGuard } from './auth.guard';
import { IamAuthzClient, getInstanceFromIam } from './authz-client';
import { JwtVerifier } from './jwt-verifier';
import type { RemoteJwksOptions } from './remote-jwks';
import type { InstanceLookup } from './source-crn';
import { SourceInstanceCache } from './source-instance-cache';

/**
 * The guard and what it needs, for every app but IAM: tokens verified against IAM's JWKS (cached),
 * decisions and source-CRN instances asked over NATS (both cached, both dropped by IAM's events). Import once with IAM's URL; use
 * `@UseGuards(KeywardAuthGuard)` with `@Authorize(...)` / `@Authenticated()` on routes.
 */
@Module({})
export class AuthModule {
  /** `jwks` tunes the JWKS cache (tests); the defaults suit production. */
  static forRoot(options: { iamUrl: string; jwks?: RemoteJwksOptions }): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: AUTH_VERIFIER, useFactory: () => JwtVerifier.forJwksUrl(`${options.iamUrl.replace(/\/$/, '')}/identity/keys`, options.jwks ? { jwks: options.jwks } : {}) },
        {
          provide: IamAuthzClient,
          inject: [RpcClient, NatsConnectionHolder, SubjectNamespace],
          useFactory: (rpc: RpcClient, nats: NatsConnectionHolder, namespace: SubjectNamespace) => new IamAuthzClient(rpc, nats, namespace),
        },
        { provide: AUTHZ_DECIDER, useExisting: IamAuthzClient },
        {
          // Tombstones included: the guard tells a removed source instance from an unknown one.
          provide: SourceInstanceCache,
          inject: [RpcClient, NatsConnectionHolder, SubjectNamespace],
          useFactory: (rpc: RpcClient, nats: NatsConnectionHolder, namespace: SubjectNamespace) =>
            new SourceInstanceCache((guid) => getInstanceFromIam(rpc, guid, { includeRemoved: true }), { nats, namespace }),
        },
        { provide: INSTANCE_LOOKUP, inject: [SourceInstanceCache], useFactory: (cache: SourceInstanceCache): InstanceLookup => cache.lookup },
        KeywardAuthGuard,
      ],
      exports: [AUTH_VERIFIER, AUTHZ_DECIDER, INSTANCE_LOOKUP, IamAuthzClient, SourceInstanceCache, KeywardAuthGuard],
    };
  }
}
