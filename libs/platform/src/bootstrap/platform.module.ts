import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/service-config';
import { HealthController } from '../health/health.controller';
import { HealthRegistry } from '../health/health.registry';
import { natsHealthCheck } from '../health/nats.health-check';
import { MetricsController } from '../metrics/metrics.controller';
import { MetricsService } from '../metrics/metrics.service';
import { NatsConnectionHolder } from '../nats/nats-connection';
import { RpcClient } from '../nats/rpc-client';
import { RpcContextInterceptor } from '../nats/rpc-context.interceptor';
import { SubjectNamespace } from '../nats/subject-namespace';
import { LOGGER, SERVICE_CONFIG } from './tokens';

/**
 * What every Keyward app has: config, logger, metrics, health, its NATS connection and RPC client.
 * Global, so feature modules inject these without importing it again.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: ServiceConfig, logger: Logger): DynamicModule {
    const nats = new NatsConnectionHolder(config);
    const namespace = new SubjectNamespace(config.nats.prefix);
    const metrics = new MetricsService(config.app);
    const health = new HealthRegistry();
    health.register(natsHealthCheck(nats));
    return {
      module: PlatformModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: NatsConnectionHolder, useValue: nats },
        { provide: SubjectNamespace, useValue: namespace },
        { provide: MetricsService, useValue: metrics },
        { provide: HealthRegistry, useValue: health },
        { provide: RpcClient, useFactory: () => new RpcClient(config, namespace, metrics) },
        { provide: RpcContextInterceptor, useFactory: () => new RpcContextInterceptor(metrics, logger) },
      ],
      exports: [SERVICE_CONFIG, LOGGER, NatsConnectionHolder, SubjectNamespace, MetricsService, HealthRegistry, RpcClient],
    };
  }
}
