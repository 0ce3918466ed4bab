import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { KmsPrisma } from '../database/kms-prisma.service';
import type { Prisma } from '../generated/prisma/client';

export type KeyPolicyRow = Prisma.KeyPolicyGetPayload<object>;
export type KeyPolicyKind = 'rotation' | 'dualAuthDelete';

export interface KeyPolicyWrite {
  kind: KeyPolicyKind;
  enabled: boolean;
  intervalMonth: number | null;
}

export interface DueRotation {
  id: string;
  instanceGuid: string;
}

/** Key policies, and the rotation policy scheduler's query. */
@Injectable()
export class KeyPoliciesRepository {
  constructor(private readonly prisma: KmsPrisma) {}

  list(keyId: string, kind?: KeyPolicyKind): Promise<KeyPolicyRow[]> {
    return this.prisma.keyPolicy.findMany({ where: { keyId, ...(kind ? { kind } : {}) }, orderBy: { kind: 'desc' } });
  }

  /** Every policy of one request in one transaction: all written or none. */
  async save(keyId: string, by: string, at: Date, policies: KeyPolicyWrite[]): Promise<KeyPolicyRow[]> {
    return this.prisma.$transaction(
      policies.map((policy) =>
        this.prisma.keyPolicy.upsert({
          where: { keyId_kind: { keyId, kind: policy.kind } },
          create: {
            id: randomUUID(),
            keyId,
            kind: policy.kind,
            enabled: policy.enabled,
            intervalMonth: policy.intervalMonth,
            createdBy: by,
            creationDate: at,
            updatedBy: by,
            lastUpdateDate: at,
          },
          update: { enabled: policy.enabled, intervalMonth: policy.intervalMonth, updatedBy: by, lastUpdateDate: at },
        }),
      ),
    );
  }

  /**
   * Active generated root keys whose rotation is due at `now`: the key's own rotation policy when it
   * has one (enabled or not), else its instance's enabled rotation policy; due `interval_month`
   * months after the last rotation (or the creation).
   */
  async dueForRotation(now: Date, limit: number): Promise<DueRotation[]> {
    return this.prisma.$queryRaw<DueRotation[]>`
      SELECT id, "instanceGuid" FROM (
        SELECT k.id, k.instance_guid AS "instanceGuid", COALESCE(k.last_rotate_date, k.creation_date) AS since,
          CASE WHEN p.key_id IS NOT NULL THEN (CASE WHEN p.enabled THEN p.interval_month END)
               WHEN ip.enabled THEN (ip.attributes->>'interval_month')::int END AS months
        FROM keys k
        LEFT JOIN key_policies p ON p.key_id = k.id AND p.kind = 'rotation'
        LEFT JOIN instance_policies ip ON ip.instance_guid = k.instance_guid AND ip.policy_type = 'rotation'
        WHERE k.state = 1 AND NOT k.extractable AND NOT k.imported
          AND (k.expiration_date IS NULL OR k.expiration_date > ${now})
      ) candidates
      WHERE months IS NOT NULL AND since + make_interval(months => months) <= ${now}
      ORDER BY since LIMIT ${limit}`;
  }
}
