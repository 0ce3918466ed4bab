import { Injectable } from '@nestjs/common';
import { IamPrisma } from '../database/iam-prisma.service';
import type { EnginePolicy, PolicyAttribute, PolicyRole } from './policy-engine';
import type { StoredPolicy } from './policy-wire';
import { DomainError, parseRoleCrn, roleCrn } from '@keyward/contracts';
import type { Prisma } from '../generated/prisma/client';

type Row = {
  id: string;
  accountId: string;
  type: string;
  description: string | null;
  subjectAttrs: unknown;
  resourceAttrs: unknown;
  roles: string[];
  parentId: string | null;
  delegate: boolean;
  version: number;
  state: string;
  createdById: string;
  lastModifiedById: string;
  createdAt: Date;
  lastModifiedAt: Date;
};

function rolesOf(row: Row): PolicyRole[] {
  return row.roles.flatMap((id) => {
    const parsed = parseRoleCrn(id);
    return parsed ? [parsed] : [];
  });
}

function toStored(row: Row): StoredPolicy {
  return {
    id: row.id,
    accountId: row.accountId,
    type: row.type === 'access' ? 'access' : 'authorization',
    description: row.description,
    subject: row.subjectAttrs as PolicyAttribute[],
    resource: row.resourceAttrs as PolicyAttribute[],
    roles: rolesOf(row),
    parentId: row.parentId,
    delegate: row.delegate,
    version: row.version,
    state: row.state === 'active' ? 'active' : 'deleted',
    createdById: row.createdById,
    lastModifiedById: row.lastModifiedById,
    createdAt: row.createdAt,
    lastModifiedAt: row.lastModifiedAt,
  };
}

export interface NewPolicy {
  id: string;
  accountId: string;
  type: 'access' | 'authorization';
  description?: string;
  subject: PolicyAttribute[];
  resource: PolicyAttribute[];
  roles: PolicyRole[];
  parentId?: string;
  delegate: boolean;
  actorId: string;
  at: Date;
}

function data(policy: NewPolicy) {
  return {
    id: policy.id,
    accountId: policy.accountId,
    type: policy.type,
    description: policy.description ?? null,
    subjectAttrs: policy.subject as object[],
    resourceAttrs: policy.resource as object[],
    roles: policy.roles.map((role) => roleCrn(role.role, role.kind)),
    parentId: policy.parentId ?? null,
    delegate: policy.delegate,
    createdById: policy.actorId,
    lastModifiedById: policy.actorId,
    createdAt: policy.at,
    lastModifiedAt: policy.at,
  };
}

/**
 * What makes two policies "identical" for IBM's 409: same type, subject, resource and roles, in any
 * order (description and delegation do not count).
 */
export function policyFingerprint(policy: { type: string; subject: readonly PolicyAttribute[]; resource: readonly PolicyAttribute[]; roles: readonly string[] }): string {
  const attrs = (list: readonly PolicyAttribute[]) => list.map((a) => JSON.stringify([a.name, a.operator, a.value])).sort();
  return JSON.stringify([policy.type, attrs(policy.subject), attrs(policy.resource), [...new Set(policy.roles)].sort()]);
}

/** Stored role CRNs are canonical already; parsing again makes the comparison not depend on it. */
const canonicalRole = (id: string) => {
  const parsed = parseRoleCrn(id);
  return parsed ? roleCrn(parsed.role, parsed.kind) : id;
};

const fingerprintOfRow = (row: Row) =>
  policyFingerprint({ type: row.type, subject: row.subjectAttrs as PolicyAttribute[], resource: row.resourceAttrs as PolicyAttribute[], roles: row.roles.map(canonicalRole) });

type NewContent = { accountId: string; type: string; subject: readonly PolicyAttribute[]; resource: readonly PolicyAttribute[]; roles: readonly PolicyRole[] };

/**
 * Refuses a policy identical to another active one of the account (POLICY_CONFLICT_ERR). The
 * account's advisory lock, held to the end of the transaction, makes check and write one step, so
 * two identical concurrent creates cannot both pass.
 */
async function refuseDuplicate(tx: Prisma.TransactionClient, policy: NewContent, exceptId?: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`keyward-iam-policies:${policy.accountId}`}))`;
  const wanted = policyFingerprint({ ...policy, roles: policy.roles.map((role) => roleCrn(role.role, role.kind)) });
  const rows = await tx.policy.findMany({ where: { accountId: policy.accountId, type: policy.type, state: 'active', ...(exceptId ? { id: { not: exceptId } } : {}) } });
  const same = rows.find((row) => fingerprintOfRow(row) === wanted);
  if (same) throw new DomainError('POLICY_CONFLICT_ERR', `An identical policy already exists: ${same.id}`);
}

/** Access and authorization policies; a delegated policy is written and removed with its parent. */
@Injectable()
export class PoliciesRepository {
  constructor(private readonly prisma: IamPrisma) {}

  /** Writes the policy and its delegated children, or throws POLICY_CONFLICT_ERR for a duplicate. */
  async create(parent: NewPolicy, children: readonly NewPolicy[]): Promise<StoredPolicy[]> {
    return this.prisma.$transaction(async (tx) => {
      await refuseDuplicate(tx, parent);
      const rows = [];
      for (const policy of [parent, ...children]) rows.push(await tx.policy.create({ data: data(policy) }));
      return rows.map(toStored);
    });
  }

  async findById(id: string): Promise<StoredPolicy | undefined> {
    const row = await this.prisma.policy.findUnique({ where: { id } });
    return row ? toStored(row) : undefined;
  }

  async list(filter: { accountId: string; type?: string; state?: string }): Promise<StoredPolicy[]> {
    const rows = await this.prisma.policy.findMany({
      where: { accountId: filter.accountId, ...(filter.type ? { type: filter.type } : {}), state: filter.state ?? 'active' },
      orderBy: { createdAt: 'asc' },
      take: 5000,
    });
    return rows.map(toStored);
  }

  async listActiveForDecision(accountId: string): Promise<EnginePolicy[]> {
    const rows = await this.prisma.policy.findMany({ where: { accountId, state: 'active' }, orderBy: { id: 'asc' } });
    return rows.map((row) => {
      const stored = toStored(row);
      return { id: stored.id, type: stored.type, accountId: stored.accountId, subject: stored.subject, resource: stored.resource, roles: stored.roles };
    });
  }

  /**
   * Replaces a policy's content if it is still at `expectedVersion` (If-Match), and its delegated
   * children with `children`. Returns undefined when the version moved on.
   */
  async update(
    id: string,
    expectedVersion: number,
    change: Omit<NewPolicy, 'id' | 'accountId' | 'parentId'>,
    children: readonly NewPolicy[],
  ): Promise<{ updated: StoredPolicy; removedChildren: string[]; addedChildren: StoredPolicy[] } | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const current = await tx.policy.findUnique({ where: { id }, select: { accountId: true } });
      if (!current) return undefined;
      await refuseDuplicate(tx, { ...change, accountId: current.accountId }, id);
      const { count } = await tx.policy.updateMany({
        where: { id, version: expectedVersion, state: 'active' },
        data: {
          type: change.type,
          description: change.description ?? null,
          subjectAttrs: change.subject as object[],
          resourceAttrs: change.resource as object[],
          roles: change.roles.map((role) => roleCrn(role.role, role.kind)),
          delegate: change.delegate,
          version: { increment: 1 },
          lastModifiedById: change.actorId,
          lastModifiedAt: change.at,
        },
      });
      if (count !== 1) return undefined;
      const removed = await tx.policy.findMany({ where: { parentId: id, state: 'active' }, select: { id: true } });
      await tx.policy.updateMany({ where: { parentId: id, state: 'active' }, data: { state: 'deleted', version: { increment: 1 }, lastModifiedAt: change.at, lastModifiedById: change.actorId } });
      const added: StoredPolicy[] = [];
      for (const child of children) added.push(toStored(await tx.policy.create({ data: data(child) })));
      const updated = toStored(await tx.policy.findUniqueOrThrow({ where: { id } }));
      return { updated, removedChildren: removed.map((r) => r.id), addedChildren: added };
    });
  }

  /** Marks the policy and its delegated children deleted; returns their ids (empty if already gone). */
  async delete(id: string, actorId: string, at: Date): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      const targets = await tx.policy.findMany({ where: { OR: [{ id }, { parentId: id }], state: 'active' }, select: { id: true } });
      if (!targets.some((t) => t.id === id)) return [];
      await tx.policy.updateMany({
        where: { id: { in: targets.map((t) => t.id) } },
        data: { state: 'deleted', version: { increment: 1 }, lastModifiedById: actorId, lastModifiedAt: at },
      });
      return targets.map((t) => t.id);
    });
  }
}
