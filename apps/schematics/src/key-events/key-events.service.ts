import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { KmsKeyEvent } from '@keyward/contracts';
import { type KmsEventRegistration, KmsClient, KmsEventSubscriber, isResourceOfService, parseKeyCrn } from '@keyward/kms-client';
import { LOGGER, NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';
import { WorkspaceKeys } from '../encryption/workspace-keys';
import { WorkspaceRepository } from '../workspaces/workspace.repository';
import { KeyStateRepository } from './key-state.repository';

/**
 * The KMS's key lifecycle events for workspaces (DESIGN.md "Events to consumers"). Schematics keeps
 * no DEK cache (each read unwraps at the KMS, which refuses a disabled or deleted key by itself), so:
 * `rotated` → the workspace's wrapped DEK is rewrapped under the new version; every event → the key's
 * state is recorded, so a read that no key can serve says why (disabled; deleted and restorable until
 * when; purged: unrecoverable). Then `event_ack` at the KMS the registration was made at.
 */
/** How long shutdown waits for the event subscriber (an event being handled). */
const STOP_WAIT_MS = 5000;

@Injectable()
export class KeyEventsService implements OnApplicationBootstrap, OnModuleDestroy {
  private subscriber?: KmsEventSubscriber;

  constructor(
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
    private readonly client: KmsClient,
    private readonly workspaces: WorkspaceRepository,
    private readonly keys: WorkspaceKeys,
    private readonly keyStates: KeyStateRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscriber = new KmsEventSubscriber({
      connection: this.nats.get(),
      namespace: this.namespace,
      durableName: 'schematics',
      ownsResource: isResourceOfService('schematics'),
      client: this.client,
      kmsUrlFor: (event, registration) => this.endpoints.get(`${event.eventId} ${registration.resourceCrn}`),
      handler: (event, registration) => this.handle(event, registration),
      logger: this.logger,
    });
    this.subscriber.start();
  }

  async onModuleDestroy(): Promise<void> {
    // stop() waits for an event being handled to finish; a handler stuck on an unreachable KMS must not
    // hold shutdown for its whole retry budget. Safety net only: an event cut short is redelivered.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), STOP_WAIT_MS)));
    const outcome = await Promise.race([this.subscriber?.stop(), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn({ waitedMs: STOP_WAIT_MS }, 'the key event subscriber did not stop in time; shutting down anyway');
  }

  /** Resolves once the durable consumer is attached (tests). */
  ready(): Promise<void> {
    return this.subscriber?.ready() ?? Promise.resolve();
  }

  /** The KMS endpoint each handled registration's key lives at (for its event_ack). */
  private readonly endpoints = new Map<string, string | undefined>();

  private async handle(event: KmsKeyEvent, registration: KmsEventRegistration): Promise<{ keyVersionId?: string }> {
    await this.keyStates.record({ keyId: event.keyId, keyCrn: event.keyCrn, eventType: event.eventType, keyState: event.keyState, eventTime: new Date(event.timestamp) });
    const workspace = await this.workspaces.findByCrn(registration.resourceCrn);
    const dataKey = workspace?.dataKeys.find((k) => parseKeyCrn(k.keyCrn)?.keyId === event.keyId);
    this.endpoints.set(`${event.eventId} ${registration.resourceCrn}`, dataKey?.endpoint);
    // Only recent events are acknowledged from here; keep the map small.
    if (this.endpoints.size > 10_000) this.endpoints.delete(this.endpoints.keys().next().value as string);
    if (!workspace || !dataKey) return {};
    if (event.eventType !== 'key.rotated' || dataKey.keyVersionId === event.newKeyVersionId) return { keyVersionId: dataKey.keyVersionId };
    const rewrapped = await this.keys.rewrap(dataKey, workspace.crn);
    const replaced = await this.workspaces.replaceDataKeys(workspace.id, workspace.dataKeys, workspace.dataKeys.map((k) => (k === dataKey ? rewrapped : k)));
    // Re-encryption moved the workspace meanwhile: the subscriber retries the event on the new keys.
    if (!replaced) throw new Error('the workspace data keys changed while rewrapping');
    this.logger.info({ workspaceId: workspace.id, keyId: event.keyId, keyVersionId: rewrapped.keyVersionId }, 'workspace data key rewrapped after key rotation');
    return { keyVersionId: rewrapped.keyVersionId };
  }
}
