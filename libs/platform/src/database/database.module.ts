import { type DynamicModule, Module } from '@nestjs/common';
import type { ServiceConfig } from '../config/service-config';
import { HealthRegistry } from '../health/health.registry';
import { SERVICE_CONFIG } from '../bootstrap/tokens';
import { type PrismaClientLike, databaseHealthCheck } from './prisma-service';

/** Provides an app's Prisma service (on DATABASE_URL) to its repositories, and reports it in /health. */
@Module({})
export class DatabaseModule {
  static forClient(ClientService: new (databaseUrl: string) => PrismaClientLike): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: ClientService,
          useFactory: (config: ServiceConfig, health: HealthRegistry) => {
            const client = new ClientService(config.databaseUrl);
            health.register(databaseHealthCheck(client));
            return client;
          },
          inject: [SERVICE_CONFIG, HealthRegistry],
        },
      ],
      exports: [ClientService],
    };
  }
}
