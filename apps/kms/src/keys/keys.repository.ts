import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TtlCache } from '../common/ttl-cache';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { KmsPrisma } from '../database/kms-prisma.service';
import { KeyEventOutbox, type KmsTx, currentVersionId, stateChangeEvent } from '../events/key-event-outbox';
import type { Prisma } from '../generated/prisma/client';
import type { DateCondition, KeyListQuery, KeySearch } from './key-list-query';

/** A key with its versions, policies, pending deletion authorization and (when read through this repository) its aliases, oldest first. */
export type KeyRow = Prisma.KeyGetPayload<{ include: { versions: true; policies: true; deletionAuthorization: true } }> & { aliases?: { alias: string }[] };
export type KeyChanges = Prisma.KeyUpdateInput;

// Policies and a pending deletion authorization ride along: the key view shows `dualAuthDelete`.
const WITH_VERSIONS = {
  versions: { orderBy: { version: 'desc' as const } },
  aliases: { select: { alias: true as const }, orderBy: [{ creationDate: 'asc' as const }, { alias: 'asc' as const }] },
  policies: true,
  deletionAuthorization: true,
} satisfies Prisma.KeyInclude;

/**
 * Key metadata and versions (never key material). Every state change (updateIf, addVersion, remove)
 * writes its lifecycle event to the outbox in the same transaction, so no path can change a key
 * without consumers hearing of it (DESIGN.md "Events to consumers").
 */
@Injectable()
export class KeysRepository {
  /** Keys read for wrap/unwrap/rewrap, by instance and id or alias (see findForUse). */
  private readonly hot: TtlCache<KeyRow>;

  constructor(
    private readonly prisma: KmsPrisma,
    private readonly events: KeyEventOutbox,
    @Inject(KMS_SETTINGS) settings: KmsSettings,
  ) {
    this.hot = new TtlCache(settings.hotCacheMs);
  }

  /**
   * find(), remembered for KEYWARD_KMS_HOT_CACHE_MS: the wrap path's lookup, so a consumer's stream of
   * wraps does not read Postgres on every call. Every state change made through this replica
   * (updateIf, addVersion, remove) forgets the key at once; one made through another replica is seen
   * within the setting. Only the crypto actions read through it; everything else reads fresh.
   */
  async findForUse(instanceGuid: string, idOrAlias: string): Promise<KeyRow | null> {
    const cacheKey = `${instanceGuid}/${idOrAlias}`;
    const cached = this.hot.get(cacheKey);
    if (cached) return cached;
    const found = await this.find(instanceGuid, idOrAlias);
    if (found) this.hot.set(cacheKey, found);
    return found;
  }

  /** Runs a change of key `id`, forgetting its cached row before and after (a wrap may cache it meanwhile). */
  private async changing<T>(id: string, work: () => Promise<T>): Promise<T> {
    this.hot.deleteWhere((key) => key.id === id);
    try {
      return await work();
    } finally {
      this.hot.deleteWhere((key) => key.id === id);
    }
  }

  /** Inserts the key and its first version; `alsoInTransaction` (ring, aliases) commits or fails with them. */
  async create(
    key: Omit<Prisma.KeyUncheckedCreateInput, 'versions' | 'aliases'>,
    firstVersion: { version: number; creationDate: Date },
    alsoInTransaction?: (tx: Prisma.TransactionClient) => Promise<void>,
  ): Promise<KeyRow> {
    return this.prisma.$transaction(async (tx) => {
      await tx.key.create({ data: { ...key, versions: { create: [{ id: randomUUID(), ...firstVersion }] } } });
      await alsoInTransaction?.(tx);
      return tx.key.findUniqueOrThrow({ where: { id: key.id }, include: WITH_VERSIONS });
    });
  }

  /** A key by id or by alias (aliases are never UUIDs, so the two cannot collide). */
  find(instanceGuid: string, idOrAlias: string): Promise<KeyRow | null> {
    return this.prisma.key.findFirst({
      where: { instanceGuid, OR: [{ id: idOrAlias.toLowerCase() }, { aliases: { some: { instanceGuid, alias: idOrAlias } } }] },
      include: WITH_VERSIONS,
    });
  }

  /**
   * Updates only if the key is still in `fromState` (optimistic: two concurrent state changes cannot
   * both win). Returns undefined when another request changed it first.
   */
  async updateIf(id: string, fromState: number, changes: KeyChanges): Promise<KeyRow | undefined> {
    return this.changing(id, () => this.prisma.$transaction(async (tx) => {
      const { count } = await tx.key.updateMany({ where: { id, state: fromState }, data: changes as Prisma.KeyUpdateManyMutationInput });
      if (count === 0) return undefined;
      const key = await tx.key.findUnique({ where: { id }, include: WITH_VERSIONS });
      if (!key) return undefined;
      const type = stateChangeEvent(fromState, key.state);
      if (type) await this.events.record(tx, type, key, currentVersionId(key));
      return key;
    }));
  }

  /** A new current version; `bits` is its size (an imported key may be rotated to another size). */
  async addVersion(id: string, version: number, at: Date, bits: number): Promise<KeyRow> {
    return this.changing(id, () => this.prisma.$transaction(async (tx) => {
      await lockKey(tx, id);
      const before = await tx.key.findUniqueOrThrow({ where: { id }, include: WITH_VERSIONS });
      const key = await tx.key.update({
        where: { id },
        data: { currentVersion: version, bits, lastRotateDate: at, lastUpdateDate: at, versions: { create: [{ id: randomUUID(), version, creationDate: at }] } },
        include: WITH_VERSIONS,
      });
      await this.events.record(tx, 'rotated', key, currentVersionId(before));
      return key;
    }));
  }

  async list(query: KeyListQuery): Promise<{ rows: KeyRow[]; total: number }> {
    const where: Prisma.KeyWhereInput = {
      instanceGuid: query.instanceGuid,
      state: { in: query.states },
      ...(query.extractable === undefined ? {} : { extractable: query.extractable }),
      ...(query.keyRingId === undefined ? {} : { keyRingId: query.keyRingId }),
      AND: [...(query.search ? [searchWhere(query.search)] : []), ...query.dates.map(({ field, condition }) => ({ [field]: dateWhere(condition) }))],
    };
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.key.findMany({
        where,
        include: WITH_VERSIONS,
        orderBy: [...query.sort.map(({ field, direction }) => ({ [field]: direction })), { id: 'asc' }],
        skip: query.offset,
        take: query.limit,
      }),
      this.prisma.key.count({ where }),
    ]);
    return { rows, total };
  }

  count(instanceGuid: string, states: number[], extractable?: boolean, keyRingId?: string): Promise<number> {
    return this.prisma.key.count({
      where: { instanceGuid, state: { in: states }, ...(extractable === undefined ? {} : { extractable }), ...(keyRingId === undefined ? {} : { keyRingId }) },
    });
  }

  /** Purge: the `purged` event (with the registrations it ends), then the registrations and the key. */
  async remove(id: string): Promise<void> {
    await this.changing(id, () => this.prisma.$transaction(async (tx) => {
      await lockKey(tx, id);
      const key = await tx.key.findUnique({ where: { id }, include: WITH_VERSIONS });
      if (!key) return;
      await this.events.record(tx, 'purged', key, currentVersionId(key));
      await tx.registration.deleteMany({ where: { keyId: id } });
      await tx.key.deleteMany({ where: { id } });
    }));
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

/** Key Protect's search (key-list-query.ts): names, aliases and (unless scoped) ids. */
function searchWhere(search: KeySearch): Prisma.KeyWhereInput {
  const term = search.term;
  const matches: Prisma.KeyWhereInput[] = [];
  if (search.scopes.name) matches.push({ name: search.exact ? { equals: term } : { contains: term, mode: 'insensitive' } });
  if (search.scopes.id) matches.push({ id: search.exact ? { equals: term.toLowerCase() } : { startsWith: term.toLowerCase() } });
  if (search.scopes.alias) matches.push({ aliases: { some: { alias: search.exact ? { equals: term } : { contains: term, mode: 'insensitive' } } } });
  // Nothing to match in: spelled out, since Prisma does not read an empty OR as false.
  const none: Prisma.KeyWhereInput = { id: { in: [] } };
  if (matches.length === 0) return search.not ? {} : none;
  return search.not ? { NOT: { OR: matches } } : { OR: matches };
}

function dateWhere(condition: DateCondition): Prisma.DateTimeNullableFilter<'Key'> {
  switch (condition.op) {
    case 'none':
      return { equals: null };
    case 'eq':
      return { equals: condition.at };
    default:
      return { [condition.op]: condition.at };
  }
}
