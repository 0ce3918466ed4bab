import { Injectable } from '@nestjs/common';
import { TtlCache } from '../common/ttl-cache';
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
  /**
   * Every call resolves its instance; the row (guid, service, account, HSM domain) never changes once
   * set up, so it is remembered a minute. Removal (the instance-deleted event, which every replica
   * receives) forgets it at once.
   */
  private readonly known = new TtlCache<KmsInstance>(60_000);

  constructor(private readonly prisma: KmsPrisma) {}

  async find(guid: string): Promise<KmsInstance | undefined> {
    const cached = this.known.get(guid);
    if (cached) return cached;
    const row = await this.prisma.instance.findUnique({ where: { guid } });
    if (row) this.known.set(guid, row as KmsInstance);
    return row ? (row as KmsInstance) : undefined;
  }

  /** Idempotent: two replicas (or a request and the created event) may set one instance up at once. */
  async save(instance: KmsInstance): Promise<KmsInstance> {
    // INSERT … ON CONFLICT DO NOTHING: an upsert would race (two inserts, one unique violation).
    await this.prisma.instance.createMany({ data: [instance], skipDuplicates: true });
    return (await this.prisma.instance.findUniqueOrThrow({ where: { guid: instance.guid } })) as KmsInstance;
  }

  async remove(guid: string): Promise<void> {
    this.known.delete(guid);
    await this.prisma.instance.deleteMany({ where: { guid } });
    this.known.delete(guid);
  }
}
