import { Injectable } from '@nestjs/common';
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
  constructor(private readonly prisma: KmsPrisma) {}

  list(instanceGuid: string, policyType?: string): Promise<InstancePolicyRow[]> {
    return this.prisma.instancePolicy.findMany({
      where: { instanceGuid, ...(policyType ? { policyType } : {}) },
      orderBy: { creationDate: 'asc' },
    });
  }

  /** All the policies of one request in one transaction: either every one is written or none. */
  async save(instanceGuid: string, by: string, at: Date, policies: InstancePolicyWrite[]): Promise<void> {
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
  }
}
