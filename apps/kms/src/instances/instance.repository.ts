import { Injectable } from '@nestjs/common';
import { KmsPrisma } from '../database/kms-prisma.service';
import type { InstancePolicyState } from '../instance-policies/instance-policy-state';

export interface KmsInstance {
  guid: string;
  service: 'kms' | 'hs-crypto';
  accountId: string;
  hsmDomainId: string;
  crn: string;
  region: string;
  /** The instance policies in force, attached per request by the KMS guard (absent elsewhere). */
  policies?: InstancePolicyState;
  /**
   * The key ring this request names in X-Kms-Key-Ring (set per request by KmsAuthGuard, never stored):
   * key lookups must find the key in it, lists show only its keys. Absent: every ring.
   */
  requestKeyRing?: string;
}

@Injectable()
export class InstanceRepository {
  constructor(private readonly prisma: KmsPrisma) {}

  async find(guid: string): Promise<KmsInstance | undefined> {
    const row = await this.prisma.instance.findUnique({ where: { guid } });
    return row ? (row as KmsInstance) : undefined;
  }

  /** Idempotent: two replicas (or a request and the created event) may set one instance up at once. */
  async save(instance: KmsInstance): Promise<KmsInstance> {
    // INSERT … ON CONFLICT DO NOTHING: an upsert would race (two inserts, one unique violation).
    await this.prisma.instance.createMany({ data: [instance], skipDuplicates: true });
    return (await this.prisma.instance.findUniqueOrThrow({ where: { guid: instance.guid } })) as KmsInstance;
  }

  async remove(guid: string): Promise<void> {
    await this.prisma.instance.deleteMany({ where: { guid } });
  }
}
