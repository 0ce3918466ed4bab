import { Inject, Injectable } from '@nestjs/common';
import { DomainError, mayActFor } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { KmsAccess } from '../access/kms-access';
import { Clock } from '../common/clock';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import type { KmsInstance } from '../instances/instance.repository';
import { objectBody, optionalString, singleResource } from '../keys/key-input';
import { KeysRepository } from '../keys/keys.repository';
import { KeysService } from '../keys/keys.service';
import { resourceCrnParam } from '../registrations/registration-input';
import { KeyEventsRepository } from './key-events.repository';

interface AckInput {
  eventId: string;
  resourceCrn: string;
  keyVersionId: string;
}

/**
 * `POST /api/v2/event_ack` and `…/actions/sync` (KEY-PROTECT-API.md §5, DESIGN.md "Events to
 * consumers"). Acknowledgements keep working after the key is purged (the event log outlives it).
 */
@Injectable()
export class EventAckService {
  constructor(
    private readonly events: KeyEventsRepository,
    private readonly keys: KeysRepository,
    private readonly keysService: KeysService,
    private readonly access: KmsAccess,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
  ) {}

  async acknowledge(caller: AuthenticatedCaller, instance: KmsInstance, body: unknown): Promise<void> {
    const serviceName = caller.principal.serviceName;
    if (!serviceName) throw new DomainError('SERVICE_ONLY_ERR');
    const input = ackBody(body);
    const { crn, service } = resourceCrnParam(input.resourceCrn);
    const expected = await this.events.expectedAck(input.eventId, crn);
    const key = expected ? await this.keys.find(instance.guid, expected.event.keyId) : null;
    // The key's attributes when it still exists; after a purge, the instance.
    await this.access.require(caller, instance, 'secrets-event.ack', key ? { id: key.id, keyRingId: key.keyRingId } : undefined);
    if (!expected || expected.instanceGuid !== instance.guid) throw new DomainError('EVENT_NOT_FOUND_ERR');
    if (!mayActFor(serviceName, service)) throw new DomainError('RESOURCE_OWNER_ERR', `A ${serviceName} token may not acknowledge for ${service} resources`);
    if (expected.ackedAt) return;
    const now = this.clock.now();
    if (now.getTime() - expected.createdAt.getTime() > this.settings.events.ackTimeoutMs) throw new DomainError('EVENT_ACK_TIMEOUT_ERR');
    const eventVersion = expected.event.newKeyVersionId;
    if (input.keyVersionId !== eventVersion) {
      // A consumer that already moved on to a later version (a second rotation) may acknowledge with it.
      const versions = key?.versions ?? [];
      const acked = versions.find((v) => v.id === input.keyVersionId);
      const announced = versions.find((v) => v.id === eventVersion);
      if (!acked || !announced || acked.version < announced.version) {
        throw new DomainError('CONFLICT_ERR', `keyVersionId does not match the event's newKeyVersionId ${eventVersion}`, { target: { type: 'field', name: 'keyVersionId' } });
      }
    }
    await this.events.acknowledge(input.eventId, crn, { by: caller.principal.iamId, keyVersionId: input.keyVersionId, at: now });
  }

  /** Publishes again the key's events still awaiting acknowledgement, and its latest event. */
  async sync(caller: AuthenticatedCaller, instance: KmsInstance, id: string): Promise<void> {
    const key = await this.keysService.authorizedKey(caller, instance, id, 'secrets.sync');
    const now = this.clock.now();
    await this.events.resend(key.id, new Date(now.getTime() - this.settings.events.ackTimeoutMs), now);
  }
}

/** `{eventId, resourceCrn, keyVersionId}`, flat or as a one-resource collection (the Java client's envelope). */
function ackBody(body: unknown): AckInput {
  const input = objectBody(body, { required: true });
  const source = Array.isArray(input['resources']) ? singleResource(input) : input;
  const field = (name: keyof AckInput) => {
    const value = optionalString(source, name, { min: 1, max: 512 });
    if (value === undefined) throw new DomainError('INVALID_FIELD_ERR', `${name} is required`, { target: { type: 'field', name } });
    return value;
  };
  return { eventId: field('eventId'), resourceCrn: field('resourceCrn'), keyVersionId: field('keyVersionId') };
}
