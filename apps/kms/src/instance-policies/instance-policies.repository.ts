import { Inject, Injectable } from '@nestjs/common';
import { TtlCache } from '../common/ttl-cache';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { KmsPrisma } from '../database/kms-prisma.service';
import type { Prisma } from '../generated/prisma/client';

export type InstancePolicyRow = Prisma.InstancePolicyGetPayload<object>;

export interface InstancePolicyWrite {
  policyType: string;
  enabled: boolean;
  attributes: Record<string, unknown>;
}

/** Instance policies: one row per (instance, policy type). */
@Injectable()
export class InstancePoliciesRepository {
  /** Every call of an instance needs its policies (the network checks): see inForce. */
  private readonly hot: TtlCache<InstancePolicyRow[]>;

  constructor(
    private readonly prisma: KmsPrisma,
    @Inject(KMS_SETTINGS) settings: KmsSettings,
  ) {
    this.hot = new TtlCache(settings.hotCacheMs);
  }

  /**
   * All the instance's policies, remembered for KEYWARD_KMS_HOT_CACHE_MS: read on every call of the
   * instance. A change through this replica (save) applies at once; through another, within the setting.
   */
  async inForce(instanceGuid: string): Promise<InstancePolicyRow[]> {
    const cached = this.hot.get(instanceGuid);
    if (cached) return cached;
    const rows = await this.list(instanceGuid);
    this.hot.set(instanceGuid, rows);
    return rows;
  }

  list(instanceGuid: string, policyType?: string): Promise<InstancePolicyRow[]> {
    return this.prisma.instancePolicy.findMany({
      where: { instanceGuid, ...(policyType ? { policyType } : {}) },
      orderBy: { creationDate: 'asc' },
    });
  }

  /** All the policies of one request in one transaction: either every one is written or none. */
  async save(instanceGuid: string, by: string, at: Date, policies: InstancePolicyWrite[]): Promise<void> {
    this.hot.delete(instanceGuid);
    await this.prisma.$transaction(
      policies.map((policy) =>
        this.prisma.instancePolicy.upsert({
          where: { instanceGuid_policyType: { instanceGuid, policyType: policy.policyType } },
          create: {
            instanceGuid,
            policyType: policy.policyType,
            enabled: policy.enabled,
            attributes: policy.attributes as Prisma.InputJsonObject,
            createdBy: by,
            creationDate: at,
            updatedBy: by,
            lastUpdated: at,
          },
          update: { enabled: policy.enabled, attributes: policy.attributes as Prisma.InputJsonObject, updatedBy: by, lastUpdated: at },
        }),
      ),
    );
    this.hot.delete(instanceGuid);
  }
}
