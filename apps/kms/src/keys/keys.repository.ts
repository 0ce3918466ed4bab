import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { KmsPrisma } from '../database/kms-prisma.service';
import { KeyEventOutbox, type KmsTx, currentVersionId, stateChangeEvent } from '../events/key-event-outbox';
import type { Prisma } from '../generated/prisma/client';

export type KeyRow = Prisma.KeyGetPayload<{ include: { versions: true } }>;
export type KeyChanges = Prisma.KeyUpdateInput;

export interface KeyListQuery {
  instanceGuid: string;
  states: number[];
  extractable?: boolean;
  search?: string;
  limit: number;
  offset: number;
  sort: { field: 'name' | 'creationDate' | 'state' | 'id' | 'lastUpdateDate' | 'expirationDate'; direction: 'asc' | 'desc' };
}

const WITH_VERSIONS = { versions: { orderBy: { version: 'desc' } } } as const;

/**
 * Key metadata and versions (never key material). Every state change (updateIf, addVersion, remove)
 * writes its lifecycle event to the outbox in the same transaction, so no path can change a key
 * without consumers hearing of it (DESIGN.md "Events to consumers").
 */
@Injectable()
export class KeysRepository {
  constructor(
    private readonly prisma: KmsPrisma,
    private readonly events: KeyEventOutbox,
  ) {}

  async create(key: Omit<Prisma.KeyUncheckedCreateInput, 'versions'>, firstVersion: { version: number; creationDate: Date }): Promise<KeyRow> {
    return this.prisma.key.create({
      data: { ...key, versions: { create: [{ id: randomUUID(), ...firstVersion }] } },
      include: WITH_VERSIONS,
    });
  }

  find(instanceGuid: string, id: string): Promise<KeyRow | null> {
    return this.prisma.key.findFirst({ where: { id, instanceGuid }, include: WITH_VERSIONS });
  }

  /**
   * Updates only if the key is still in `fromState` (optimistic: two concurrent state changes cannot
   * both win). Returns undefined when another request changed it first.
   */
  async updateIf(id: string, fromState: number, changes: KeyChanges): Promise<KeyRow | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.key.updateMany({ where: { id, state: fromState }, data: changes as Prisma.KeyUpdateManyMutationInput });
      if (count === 0) return undefined;
      const key = await tx.key.findUnique({ where: { id }, include: WITH_VERSIONS });
      if (!key) return undefined;
      const type = stateChangeEvent(fromState, key.state);
      if (type) await this.events.record(tx, type, key, currentVersionId(key));
      return key;
    });
  }

  async addVersion(id: string, version: number, at: Date): Promise<KeyRow> {
    return this.prisma.$transaction(async (tx) => {
      await lockKey(tx, id);
      const before = await tx.key.findUniqueOrThrow({ where: { id }, include: WITH_VERSIONS });
      const key = await tx.key.update({
        where: { id },
        data: { currentVersion: version, lastRotateDate: at, lastUpdateDate: at, versions: { create: [{ id: randomUUID(), version, creationDate: at }] } },
        include: WITH_VERSIONS,
      });
      await this.events.record(tx, 'rotated', key, currentVersionId(before));
      return key;
    });
  }

  async list(query: KeyListQuery): Promise<{ rows: KeyRow[]; total: number }> {
    const where: Prisma.KeyWhereInput = {
      instanceGuid: query.instanceGuid,
      state: { in: query.states },
      ...(query.extractable === undefined ? {} : { extractable: query.extractable }),
      ...(query.search ? { OR: [{ name: { contains: query.search, mode: 'insensitive' } }, { id: { startsWith: query.search.toLowerCase() } }] } : {}),
    };
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.key.findMany({
        where,
        include: WITH_VERSIONS,
        orderBy: [{ [query.sort.field]: query.sort.direction }, { id: 'asc' }],
        skip: query.offset,
        take: query.limit,
      }),
      this.prisma.key.count({ where }),
    ]);
    return { rows, total };
  }

  count(instanceGuid: string, states: number[], extractable?: boolean): Promise<number> {
    return this.prisma.key.count({ where: { instanceGuid, state: { in: states }, ...(extractable === undefined ? {} : { extractable }) } });
  }

  /** Purge: the `purged` event (with the registrations it ends), then the registrations and the key. */
  async remove(id: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await lockKey(tx, id);
      const key = await tx.key.findUnique({ where: { id }, include: WITH_VERSIONS });
      if (!key) return;
      await this.events.record(tx, 'purged', key, currentVersionId(key));
      await tx.registration.deleteMany({ where: { keyId: id } });
      await tx.key.deleteMany({ where: { id } });
    });
  }

  /** Active keys past their expiration date (scheduler), locked so replicas split the work. */
  async expiredActive(now: Date, limit: number): Promise<{ id: string; hsmDomainId: string }[]> {
    return this.prisma.$queryRaw<{ id: string; hsmDomainId: string }[]>`
      SELECT id, hsm_domain_id AS "hsmDomainId" FROM keys
      WHERE state = 1 AND expiration_date IS NOT NULL AND expiration_date <= ${now}
      ORDER BY expiration_date LIMIT ${limit}`;
  }

  /** Deleted keys whose automatic purge time has come. */
  async purgeDue(before: Date, limit: number): Promise<{ id: string; hsmDomainId: string }[]> {
    return this.prisma.$queryRaw<{ id: string; hsmDomainId: string }[]>`
      SELECT id, hsm_domain_id AS "hsmDomainId" FROM keys
      WHERE state = 5 AND deletion_date IS NOT NULL AND deletion_date <= ${before}
      ORDER BY deletion_date LIMIT ${limit}`;
  }

  /** Runs `work` only on the replica that takes the advisory lock `name` (skipped elsewhere). */
  async withAdvisoryLock(name: string, work: () => Promise<void>): Promise<boolean> {
    return this.prisma.$transaction(
      async (tx) => {
        const [row] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext(${name})) AS locked`;
        if (!row?.locked) return false;
        await work();
        return true;
      },
      { timeout: 120_000 },
    );
  }
}

/** Serializes concurrent changes of one key (two purges must not both report one). */
async function lockKey(tx: KmsTx, id: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM keys WHERE id = ${id} FOR UPDATE`;
}
