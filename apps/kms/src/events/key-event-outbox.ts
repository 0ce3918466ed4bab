import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { KmsKeyEvent, KmsKeyEventType } from '@keyward/contracts';
import { Clock } from '../common/clock';
import type { Prisma } from '../generated/prisma/client';
import { rfc3339 } from '../keys/key-view';

/** A Prisma interactive transaction: the event is written in the transaction of the change it reports. */
export type KmsTx = Prisma.TransactionClient;

/** The key as the change left it (KeysRepository's KeyRow, without importing it: no cycle). */
export interface ChangedKey {
  id: string;
  instanceGuid: string;
  state: number;
  currentVersion: number;
  versions: { id: string; version: number }[];
}

/** Key Protect's `key:<id>` CRN under the instance's CRN (`…:<instance>::` → `…:<instance>:key:<id>`). */
function keyCrnOf(instanceCrn: string, keyId: string): string {
  const base = instanceCrn.endsWith('::') ? instanceCrn.slice(0, -1) : `${instanceCrn}:`;
  return `${base}key:${keyId}`;
}

export function currentVersionId(key: Pick<ChangedKey, 'currentVersion' | 'versions'>): string {
  return (key.versions.find((v) => v.version === key.currentVersion) ?? key.versions[0])?.id ?? '';
}

/** Which event a stored state change is (DESIGN.md "Events to consumers"); none when the state did not change. */
export function stateChangeEvent(fromState: number, toState: number): KmsKeyEventType | undefined {
  if (fromState === toState) return undefined;
  switch (toState) {
    case 1:
      return fromState === 5 ? 'restored' : 'enabled';
    case 2:
      return 'disabled';
    case 3:
      return 'expired';
    case 5:
      return 'deleted';
    default:
      return undefined;
  }
}

/**
 * Writes a key lifecycle event inside the transaction of the change: the event (kept for
 * acknowledgements), its first outbox row (id = eventId = Nats-Msg-Id) and one expected
 * acknowledgement per registration of the key at that moment. The relay publishes it after commit,
 * so a change and its event are committed together or not at all.
 */
@Injectable()
export class KeyEventOutbox {
  constructor(private readonly clock: Clock) {}

  async record(tx: KmsTx, type: KmsKeyEventType, key: ChangedKey, oldKeyVersionId: string): Promise<KmsKeyEvent> {
    const at = this.clock.now();
    const instance = await tx.instance.findUnique({ where: { guid: key.instanceGuid }, select: { crn: true } });
    const registrations = await tx.registration.findMany({ where: { keyId: key.id }, orderBy: { resourceCrn: 'asc' } });
    const event: KmsKeyEvent = {
      eventId: randomUUID(),
      eventType: `key.${type}`,
      instanceId: key.instanceGuid,
      keyId: key.id,
      keyCrn: keyCrnOf(instance?.crn ?? '', key.id),
      keyState: key.state,
      oldKeyVersionId,
      newKeyVersionId: currentVersionId(key),
      registrations: registrations.map((r) => ({ resourceCrn: r.resourceCrn, preventKeyDeletion: r.preventKeyDeletion })),
      timestamp: rfc3339(at),
    };
    await tx.keyEvent.create({
      data: { id: event.eventId, instanceGuid: key.instanceGuid, keyId: key.id, eventType: type, payload: event as unknown as Prisma.InputJsonObject, createdAt: at },
    });
    await tx.keyEventOutbox.create({ data: { id: event.eventId, eventId: event.eventId, createdAt: at } });
    if (registrations.length) {
      await tx.keyEventAck.createMany({
        data: registrations.map((r) => ({ eventId: event.eventId, resourceCrn: r.resourceCrn, keyId: key.id, instanceGuid: key.instanceGuid, createdAt: at })),
      });
    }
    return event;
  }
}
