import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { Clock } from '../common/clock';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { rfc3339 } from '../keys/key-view';
import { RegistrationsRepository } from '../registrations/registrations.repository';
import { KeyEventsRepository } from './key-events.repository';

/** What the keys module asks about a key's registrations and events (deletion rules, metadata). */
@Injectable()
export class KeyLinks {
  constructor(
    private readonly registrations: RegistrationsRepository,
    private readonly events: KeyEventsRepository,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
  ) {}

  /**
   * KEY-PROTECT-API.md §4: a registration with `preventKeyDeletion` forbids the delete even with
   * `force` (PREV_KEY_DEL_ERR); any other registration forbids it without `force` (PROTECTED_RESOURCE_ERR).
   */
  async assertDeletable(keyId: string, force: boolean): Promise<void> {
    const { total, preventing } = await this.registrations.deletionBlockers(keyId);
    if (preventing > 0) throw new DomainError('PREV_KEY_DEL_ERR', `${preventing} registration(s) prevent the deletion of this key`);
    if (total > 0 && !force) throw new DomainError('PROTECTED_RESOURCE_ERR', `${total} registered resource(s) use this key: delete with force=true to override`);
  }

  /** The key metadata's `pendingEventAcks`: events registered services have not acknowledged yet, until they time out. */
  async pendingEventAcks(keyId: string): Promise<Record<string, unknown>[]> {
    const timeout = this.settings.events.ackTimeoutMs;
    const pending = await this.events.pendingAcks(keyId, new Date(this.clock.now().getTime() - timeout));
    return pending.map((p) => ({
      eventId: p.eventId,
      eventType: p.eventType,
      resourceCrn: p.resourceCrn,
      keyVersionId: p.keyVersionId,
      creationDate: rfc3339(p.createdAt),
      ackExpirationDate: rfc3339(new Date(p.createdAt.getTime() + timeout)),
    }));
  }
}
