import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { IAM_QUEUE, STREAMS } from '@keyward/contracts';
import { DatabaseModule, type Env, type RunningService, startService } from '@keyward/platform';
import { AuditModule } from './audit/audit.module';
import { AuthzModule } from './authz/authz.module';
import { BootstrapModule } from './bootstrap/bootstrap.module';
import { Clock, SystemClock } from './common/clock';
import { IAM_CONFIG, type IamConfig, loadIamConfig } from './config/iam.config';
import { IamPrisma } from './database/iam-prisma.service';
import { EndpointsModule } from './endpoints/endpoints.module';
import { EventsModule } from './events/events.module';
import { IdentityModule } from './identity/identity.module';
import { PingModule } from './ping/ping.module';
import { PoliciesModule } from './policies/policies.module';
import { RegistryModule } from './registry/registry.module';
import { TokensModule } from './tokens/tokens.module';

/** IAM's configuration and clock, for every module. */
@Global()
@Module({})
class IamCoreModule {
  static forRoot(config: IamConfig, clock: Clock): DynamicModule {
    return {
      module: IamCoreModule,
      providers: [
        { provide: IAM_CONFIG, useValue: config },
        { provide: Clock, useValue: clock },
      ],
      exports: [IAM_CONFIG, Clock],
    };
  }
}

/** Starts IAM: identities, tokens, the resource registry, policies and decisions. */
export async function startIam(env: Env, options: { logger?: Logger; clock?: Clock } = {}): Promise<RunningService> {
  const config = loadIamConfig(env);
  return startService({
    config: config.service,
    imports: [
      IamCoreModule.forRoot(config, options.clock ?? new SystemClock()),
      DatabaseModule.forClient(IamPrisma),
      PingModule,
      AuditModule,
      EventsModule,
      EndpointsModule,
      IdentityModule,
      TokensModule,
      RegistryModule,
      PoliciesModule,
      AuthzModule,
      BootstrapModule,
    ],
    errorFormat: 'iam',
    rpcQueue: IAM_QUEUE,
    streams: [STREAMS.IAM_EVENTS],
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
