import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { KmsKeyEvent } from '@keyward/contracts';
import { type KmsEventRegistration, KmsClient, KmsEventSubscriber, isResourceOfService, parseKeyCrn } from '@keyward/kms-client';
import { LOGGER, NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';
import { DBAAS_SERVICE } from '../clusters/cluster-access';
import { ClustersRepository } from '../clusters/clusters.repository';
import { ClusterKeys } from '../keys/cluster-keys';
import { BackupKms, ClusterEnvelope } from '../keys/dbaas-keys';
import { keyStatusAfter } from './key-status';

function sameKey(keyCrn: string, event: KmsKeyEvent): boolean {
  const key = parseKeyCrn(keyCrn);
  return key?.instanceId === event.instanceId && key.keyId === event.keyId;
}

/**
 * Follows the KMS's lifecycle events for the clusters' keys (durable consumer `dbaas`): node key
 * status, the cached DEK wiped on disabled/deleted/purged (on every replica), the data key rewrapped
 * after a rotation, and each event acknowledged at the KMS.
 */
@Injectable()
export class KeyEventsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriber?: KmsEventSubscriber;

  constructor(
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
    private readonly client: KmsClient,
    private readonly clusters: ClustersRepository,
    private readonly keys: ClusterKeys,
    private readonly envelope: ClusterEnvelope,
    private readonly backup: BackupKms,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscriber = new KmsEventSubscriber({
      connection: this.nats.get(),
      namespace: this.namespace,
      durableName: 'dbaas',
      ownsResource: isResourceOfService(DBAAS_SERVICE),
      client: this.client,
      handler: (event, registration) => this.handle(event, registration),
      onEveryReplica: async (event) => {
        await this.envelope.applyKeyEvent(event);
        await this.backup.envelope.applyKeyEvent(event);
      },
      logger: this.logger,
    });
    this.subscriber.start();
  }

  /** Resolves once the subscriber is attached to the KMS's stream (tests). */
  async ready(): Promise<void> {
    await this.subscriber?.ready();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.stop();
    this.envelope.wipeAll();
    this.backup.envelope.wipeAll();
  }

  private async handle(event: KmsKeyEvent, registration: KmsEventRegistration): Promise<{ keyVersionId?: string }> {
    const cluster = await this.clusters.findByCrn(registration.resourceCrn);
    if (!cluster || !sameKey(cluster.keyCrn, event)) {
      // A deleted cluster, or its backup key only: nothing of the nodes changes.
      await this.backup.envelope.applyKeyEvent(event);
      return {};
    }
    const [now] = await this.envelope.applyKeyEvent(event, [this.keys.dataKey(cluster)]);
    if (now && now.wrappedDek !== cluster.wrappedDek) await this.clusters.saveDataKey(cluster.id, now.wrappedDek, now.keyVersionId);
    const status = keyStatusAfter(event.eventType);
    if (status) await this.clusters.setKeyStatus(cluster.id, status, new Date(event.timestamp));
    this.logger.info({ eventId: event.eventId, eventType: event.eventType, clusterId: cluster.id, keyStatus: status }, 'cluster key event handled');
    return now ? { keyVersionId: now.keyVersionId } : {};
  }
}
