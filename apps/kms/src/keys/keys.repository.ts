import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { KmsPrisma } from '../database/kms-prisma.service';
import type { Prisma } from '../generated/prisma/client';
import type { DateCondition, KeyListQuery, KeySearch } from './key-list-query';

export type KeyRow = Prisma.KeyGetPayload<{ include: { versions: true } }>;
export type KeyChanges = Prisma.KeyUpdateInput;

const WITH_VERSIONS = { versions: { orderBy: { version: 'desc' } } } as const;

/** Key metadata and versions (never key material). */
@Injectable()
export class KeysRepository {
  constructor(private readonly prisma: KmsPrisma) {}

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
    const { count } = await this.prisma.key.updateMany({ where: { id, state: fromState }, data: changes as Prisma.KeyUpdateManyMutationInput });
    if (count === 0) return undefined;
    return (await this.prisma.key.findUnique({ where: { id }, include: WITH_VERSIONS })) ?? undefined;
  }

  /** A new current version; `bits` is its size (an imported key may be rotated to another size). */
  async addVersion(id: string, version: number, at: Date, bits: number): Promise<KeyRow> {
    return this.prisma.key.update({
      where: { id },
      data: { currentVersion: version, bits, lastRotateDate: at, lastUpdateDate: at, versions: { create: [{ id: randomUUID(), version, creationDate: at }] } },
      include: WITH_VERSIONS,
    });
  }

  async list(query: KeyListQuery): Promise<{ rows: KeyRow[]; total: number }> {
    const where: Prisma.KeyWhereInput = {
      instanceGuid: query.instanceGuid,
      state: { in: query.states },
      ...(query.extractable === undefined ? {} : { extractable: query.extractable }),
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

  count(instanceGuid: string, states: number[], extractable?: boolean): Promise<number> {
    return this.prisma.key.count({ where: { instanceGuid, state: { in: states }, ...(extractable === undefined ? {} : { extractable }) } });
  }

  async remove(id: string): Promise<void> {
    await this.prisma.key.deleteMany({ where: { id } });
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

/** Key Protect's search (key-list-query.ts): names, and ids unless scoped; aliases come with part 2, so `alias:` alone matches nothing. */
function searchWhere(search: KeySearch): Prisma.KeyWhereInput {
  const term = search.term;
  const matches: Prisma.KeyWhereInput[] = [];
  if (search.scopes.name) matches.push({ name: search.exact ? { equals: term } : { contains: term, mode: 'insensitive' } });
  if (search.scopes.id) matches.push({ id: search.exact ? { equals: term.toLowerCase() } : { startsWith: term.toLowerCase() } });
  // Nothing to match in (`alias:` alone): spelled out, since Prisma does not read an empty OR as false.
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
