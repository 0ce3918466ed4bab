import { type DynamicModule, Module, type OnModuleInit } from '@nestjs/common';
import { HealthRegistry, ServiceTokenProvider } from '@keyward/platform';
import { KmsClient } from './kms-client';
import type { KmsClientConfig } from './kms-client.config';

/**
 * Gives a consumer app its KmsClient (with the service's own token source) and puts the KMS in the
 * app's /health: not critical, since the app still serves what needs no key.
 */
@Module({})
export class KmsClientModule {
  static register(config: KmsClientConfig): DynamicModule {
    class KmsHealthRegistration implements OnModuleInit {
      constructor(
        readonly health: HealthRegistry,
        readonly client: KmsClient,
      ) {}

      onModuleInit(): void {
        this.health.register({
          name: 'kms',
          critical: false,
          check: async () => {
            const report = await this.client.health();
            return report.status === 'down' ? { status: 'down', detail: 'the KMS reports down' } : { status: 'ok' };
          },
        });
      }
    }
    return {
      module: KmsClientModule,
      providers: [
        {
          provide: KmsClient,
          useFactory: () => new KmsClient({ kmsUrl: config.kmsUrl, tokens: new ServiceTokenProvider({ iamUrl: config.iamUrl, apiKey: config.apiKey }) }),
        },
        { provide: KmsHealthRegistration, useFactory: (health: HealthRegistry, client: KmsClient) => new KmsHealthRegistration(health, client), inject: [HealthRegistry, KmsClient] },
      ],
      exports: [KmsClient],
    };
  }
}
