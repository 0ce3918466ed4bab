import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import { IAM_SUBJECTS, type ServiceKeyInstanceOwner, instanceListResponseSchema } from '@keyward/contracts';
import { HealthRegistry, LOGGER, RpcClient, ServiceTokenProvider } from '@keyward/platform';
import { KmsClient } from '../kms-client';
import type { KmsClientConfig } from '../kms-client.config';
import { ServiceDefaultKey } from './service-default-key';

export interface ServiceDefaultKeyProviderOptions {
  service: ServiceKeyInstanceOwner;
  configuredKeyCrn?: string;
  /** How the service reaches IAM and the KMS as itself (its token tells it its own account). */
  kms: KmsClientConfig;
  hint: string;
  /** How long start waits for the first attempt before going on (the key then settles in the background). */
  startWaitMs?: number;
}

/**
 * The providers of a consumer's default key, for the module that has the app's KmsClient: the
 * ServiceDefaultKey, settled at application bootstrap (start waits at most `startWaitMs`), shown in
 * /health as `default-key`, stopped at shutdown.
 */
export function serviceDefaultKeyProviders(options: ServiceDefaultKeyProviderOptions): Provider[] {
  @Injectable()
  class ServiceDefaultKeyLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
    constructor(
      private readonly key: ServiceDefaultKey,
      private readonly health: HealthRegistry,
    ) {}

    async onApplicationBootstrap(): Promise<void> {
      this.health.register({ name: 'default-key', critical: false, check: async () => this.key.health() });
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.startWaitMs ?? 5000);
      });
      await Promise.race([this.key.start(), waited]);
      clearTimeout(timer);
    }

    onApplicationShutdown(): void {
      this.key.stop();
    }
  }

  return [
    {
      provide: ServiceDefaultKey,
      inject: [KmsClient, RpcClient, LOGGER],
      useFactory: (client: KmsClient, rpc: RpcClient, logger: Logger) => {
        const tokens = new ServiceTokenProvider({ iamUrl: options.kms.iamUrl, apiKey: options.kms.apiKey });
        return new ServiceDefaultKey({
          service: options.service,
          ...(options.configuredKeyCrn ? { configuredKeyCrn: options.configuredKeyCrn } : {}),
          client,
          logger,
          hint: options.hint,
          listInstances: async () => {
            const accountId = accountOfServiceToken(await tokens.get());
            return rpc.request(IAM_SUBJECTS.instanceList, { service: 'kms', account_id: accountId }, { response: instanceListResponseSchema });
          },
        });
      },
    },
    ServiceDefaultKeyLifecycle,
  ];
}

/** The account a service token was issued in (`account.bss`): the service's own account, where IAM keeps its instance. */
function accountOfServiceToken(token: string): string {
  const payload = token.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { account?: { bss?: unknown } };
  if (typeof claims.account?.bss !== 'string') throw new Error('the service token names no account');
  return claims.account.bss;
}
