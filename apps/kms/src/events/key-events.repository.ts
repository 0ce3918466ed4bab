import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { KmsKeyEvent } from '@keyward/contracts';
import { KmsPrisma } from '../database/kms-prisma.service';

/** An outbox row ready to publish: `id` is the Nats-Msg-Id (the eventId for the first publication). */
export interface OutboxMessage {
  id: string;
  eventType: string;
  payload: KmsKeyEvent;
}

export interface PendingAck {
  eventId: string;
  eventType: string;
  resourceCrn: string;
  keyVersionId: string;
  createdAt: Date;
}

export interface ExpectedAck {
  event: KmsKeyEvent;
  instanceGuid: string;
  createdAt: Date;
  ackedAt: Date | null;
}

/** The event log, its outbox and the expected acknowledgements (never key material). */
@Injectable()
export class KeyEventsRepository {
  constructor(private readonly prisma: KmsPrisma) {}

  /**
   * Hands up to `limit` unpublished rows, oldest first, to `publish`, and marks as published those it
   * reports done — in one transaction that holds their locks (`FOR UPDATE SKIP LOCKED`), so several
   * replicas relay in parallel without taking the same row. A row is marked only after JetStream
   * acknowledged it; a crash before the mark publishes it again (same Nats-Msg-Id: de-duplicated).
   */
  async relayBatch(limit: number, publish: (messages: OutboxMessage[]) => Promise<string[]>, at: () => Date): Promise<number> {
    return this.prisma.$transaction(
      async (tx) => {
        const messages = await tx.$queryRaw<OutboxMessage[]>`
          SELECT o.id, e.event_type AS "eventType", e.payload
          FROM key_event_outbox o JOIN key_events e ON e.id = o.event_id
          WHERE o.published_at IS NULL
          ORDER BY o.seq
          LIMIT ${limit}
          FOR UPDATE OF o SKIP LOCKED`;
        if (messages.length === 0) return 0;
        const done = await publish(messages);
        if (done.length) await tx.keyEventOutbox.updateMany({ where: { id: { in: done } }, data: { publishedAt: at() } });
        return done.length;
      },
      { timeout: 60_000 },
    );
  }

  /** Unacknowledged acknowledgements of a key created after `since` (older ones have timed out). */
  async pendingAcks(keyId: string, since: Date): Promise<PendingAck[]> {
    return this.prisma.$queryRaw<PendingAck[]>`
      SELECT a.event_id AS "eventId", e.payload->>'eventType' AS "eventType", a.resource_crn AS "resourceCrn",
             e.payload->>'newKeyVersionId' AS "keyVersionId", a.created_at AS "createdAt"
      FROM key_event_acks a JOIN key_events e ON e.id = a.event_id
      WHERE a.key_id = ${keyId} AND a.acked_at IS NULL AND a.created_at > ${since}
      ORDER BY a.created_at, a.resource_crn`;
  }

  async expectedAck(eventId: string, resourceCrn: string): Promise<ExpectedAck | undefined> {
    const rows = await this.prisma.$queryRaw<ExpectedAck[]>`
      SELECT e.payload AS event, e.instance_guid AS "instanceGuid", a.created_at AS "createdAt", a.acked_at AS "ackedAt"
      FROM key_event_acks a JOIN key_events e ON e.id = a.event_id
      WHERE a.event_id = ${eventId} AND a.resource_crn = ${resourceCrn}`;
    return rows[0];
  }

  /** Records the acknowledgement once (a repeated ack changes nothing). */
  async acknowledge(eventId: string, resourceCrn: string, ack: { by: string; keyVersionId: string; at: Date }): Promise<void> {
    await this.prisma.keyEventAck.updateMany({
      where: { eventId, resourceCrn, ackedAt: null },
      data: { ackedAt: ack.at, ackedBy: ack.by, keyVersionId: ack.keyVersionId },
    });
  }

  /**
   * `sync`: publishes again every event of the key still awaiting an acknowledgement (created after
   * `since`) and in any case its latest event, as new outbox rows (new Nats-Msg-Ids, the same eventId).
   */
  async resend(keyId: string, since: Date, at: Date): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const latest = await tx.keyEvent.findFirst({ where: { keyId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { id: true } });
      const pending = await tx.keyEventAck.findMany({ where: { keyId, ackedAt: null, createdAt: { gt: since } }, select: { eventId: true }, distinct: ['eventId'] });
      const eventIds = [...new Set([...pending.map((p) => p.eventId), ...(latest ? [latest.id] : [])])];
      const ordered = await tx.keyEvent.findMany({ where: { id: { in: eventIds } }, orderBy: { createdAt: 'asc' }, select: { id: true } });
      for (const event of ordered) {
        await tx.keyEventOutbox.create({ data: { id: randomUUID(), eventId: event.id, createdAt: at } });
      }
      return ordered.length;
    });
  }

  /** Drops outbox rows published before `before` (the event log itself is kept for acknowledgements and `sync`). */
  async prunePublished(before: Date): Promise<number> {
    const { count } = await this.prisma.keyEventOutbox.deleteMany({ where: { publishedAt: { lt: before } } });
    return count;
  }
}
