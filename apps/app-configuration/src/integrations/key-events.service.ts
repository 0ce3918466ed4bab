import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { KmsKeyEvent } from '@keyward/contracts';
import { KmsClient, KmsClientError, type KmsEventRegistration, KmsEventSubscriber, isResourceOfService } from '@keyward/kms-client';
import { LOGGER, NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';
import { IntegrationRepository, type KeyState } from './integration.repository';
import { SegmentProtection, dataKeyOf } from './segment-protection';

/** Key Protect's restore window: a deleted key can be restored for 30 days. */
export const RESTORE_WINDOW_MS = 30 * 24 * 3600_000;

const STATE_AFTER: Partial<Record<KmsKeyEvent['eventType'], KeyState>> = {
  'key.disabled': 'disabled',
  'key.deleted': 'deleted',
  'key.purged': 'purged',
  'key.enabled': 'active',
  'key.restored': 'active',
};

/**
 * The KMS's key lifecycle events for App Configuration's registrations (DESIGN.md "Events to
 * consumers"). The key's state is stored with the integration — every replica and a restart refuse
 * segment reads while it is disabled, deleted or purged — and the DEK cache follows the event
 * (wiped, refreshed, rewrapped). KmsEventSubscriber then acknowledges (`event_ack`).
 */
@Injectable()
export class KeyEventsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriber?: KmsEventSubscriber;

  constructor(
    private readonly integrations: IntegrationRepository,
    private readonly protection: SegmentProtection,
    private readonly client: KmsClient,
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscriber = new KmsEventSubscriber({
      connection: this.nats.get(),
      namespace: this.namespace,
      durableName: 'app-configuration',
      ownsResource: isResourceOfService('apprapp'),
      client: this.client,
      handler: (event, registration) => this.handle(event, registration),
      // Every replica wipes (or unblocks) its own DEK cache.
      onEveryReplica: async (event) => {
        await this.protection.envelope.applyKeyEvent(event);
      },
      logger: this.logger,
    });
    this.subscriber.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.stop();
  }

  /** Resolves once the durable consumer is attached (tests). */
  async ready(): Promise<void> {
    await this.subscriber?.ready();
  }

  async handle(event: KmsKeyEvent, registration: KmsEventRegistration): Promise<{ keyVersionId?: string } | void> {
    const integration = (await this.integrations.findBySourceCrn(registration.resourceCrn)).find(
      (candidate) => candidate.keyId === event.keyId && candidate.kmsInstanceId === event.instanceId,
    );
    // The instance is gone or uses another key now: nothing to do, the event is still acknowledged.
    if (!integration) return undefined;
    const state = STATE_AFTER[event.eventType];
    if (state) {
      const restorableUntil = state === 'deleted' ? new Date(Date.parse(event.timestamp) + RESTORE_WINDOW_MS) : null;
      await this.integrations.updateKey(integration.instanceGuid, { keyState: state, restorableUntil });
      this.logger.info({ eventId: event.eventId, keyId: event.keyId, instance: integration.instanceGuid, keyState: state }, 'root key state changed');
    }
    const dataKey = dataKeyOf({ ...integration, keyState: state ?? integration.keyState });
    try {
      const [now] = await this.protection.envelope.applyKeyEvent(event, [dataKey]);
      if (event.eventType === 'key.rotated' && now && now.wrappedDek !== integration.wrappedDek) {
        await this.integrations.updateKey(integration.instanceGuid, { wrappedDek: now.wrappedDek, keyVersionId: now.keyVersionId });
        return { keyVersionId: now.keyVersionId };
      }
    } catch (error) {
      // Transient (the KMS away): retried with the event. Otherwise (e.g. the key was disabled again
      // meanwhile): the stored state decides; the DEK is unwrapped again on its next use.
      if (!(error instanceof KmsClientError) || error.isTransient) throw error;
      this.logger.warn({ eventId: event.eventId, keyId: event.keyId, code: error.code }, 'the data key could not follow the key event now');
    }
    return undefined;
  }
}
