import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { KmsClient } from '@keyward/kms-client';
import { HealthRegistry, LOGGER, NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';
import { IntegrationRepository, type PendingUnregistrationRecord } from '../integrations/integration.repository';
import { IamInstanceEvents } from './iam-instance-events';
import { APP_CONFIGURATION_SERVICE, InstancesService } from './instances.service';

/** How often pending unregistrations are tried again. */
export const UNREGISTER_RETRY_MS = 15_000;

/**
 * IAM's instance events (a durable JetStream consumer, IamInstanceEvents): created → set up at once; deleted → the instance's data goes and its KMS
 * registration is removed. An unregistration that fails stays in `pending_unregistrations`, is
 * retried every UNREGISTER_RETRY_MS, shows in /health (`kms-unregistrations`) and in
 * `GET /apprapp/feature/v1/pending_unregistrations`, so an operator can finish it.
 */
@Injectable()
export class InstanceLifecycleService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private events?: IamInstanceEvents;
  private timer?: NodeJS.Timeout;
  private retrying?: Promise<void>;

  constructor(
    private readonly instances: InstancesService,
    private readonly integrations: IntegrationRepository,
    private readonly client: KmsClient,
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
    private readonly health: HealthRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.health.register({
      name: 'kms-unregistrations',
      critical: false,
      check: async () => {
        const pending = await this.integrations.listPending();
        // Backlog, not a dependency that is down: the service itself is fine, so the check stays ok and says what waits.
        return pending.length === 0 ? { status: 'ok' } : { status: 'ok', detail: `${pending.length} registration(s) of deleted instances still to remove from the KMS` };
      },
    });
  }

  onApplicationBootstrap(): void {
    this.events = new IamInstanceEvents({
      connection: this.nats.get(),
      namespace: this.namespace,
      logger: this.logger,
      handle: async (instance, kind) => {
        if (instance.service !== APP_CONFIGURATION_SERVICE) return;
        if (kind === 'deleted') await this.instanceDeleted(instance.guid);
        else await this.instances.setUp(instance);
      },
    });
    this.events.start();
    this.timer = setInterval(() => void this.retryPending(), UNREGISTER_RETRY_MS);
    this.timer.unref();
    void this.retryPending();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events?.stop();
    if (this.timer) clearInterval(this.timer);
    await this.retrying;
  }

  async instanceDeleted(guid: string): Promise<void> {
    const pending = await this.integrations.removeInstance(guid);
    if (pending) await this.unregister(pending);
  }

  /** Tries every pending unregistration once (one run at a time). */
  retryPending(): Promise<void> {
    this.retrying ??= (async () => {
      try {
        for (const pending of await this.integrations.listPending()) await this.unregister(pending);
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'pending unregistrations not retried');
      } finally {
        this.retrying = undefined;
      }
    })();
    return this.retrying;
  }

  listPending(): Promise<PendingUnregistrationRecord[]> {
    return this.integrations.listPending();
  }

  private async unregister(pending: PendingUnregistrationRecord): Promise<void> {
    try {
      // false: the KMS no longer has it (purged key): done as well.
      await this.client.unregister({ instanceId: pending.kmsInstanceId, keyId: pending.keyId, sourceCrn: pending.sourceCrn });
      await this.integrations.pendingDone(pending.sourceCrn);
      this.logger.info({ resourceCrn: pending.sourceCrn, keyId: pending.keyId }, 'registration removed from the KMS');
    } catch (error) {
      await this.integrations.pendingFailed(pending.sourceCrn, (error as Error).message);
      this.logger.warn({ resourceCrn: pending.sourceCrn, keyId: pending.keyId, err: (error as Error).message }, 'unregistration failed; retried later');
    }
  }
}
