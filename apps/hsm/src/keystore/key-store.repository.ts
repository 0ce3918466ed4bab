import { Injectable } from '@nestjs/common';
import { HsmPrisma } from '../database/hsm-prisma.service';

export interface DomainRecord {
  id: string;
  threshold: number | null;
  generation: number;
  masterCheck: string | null;
  partChecks: string[];
  pendingThreshold: number | null;
  pendingMasterCheck: string | null;
  pendingPartChecks: string[];
  ceremonyPublicKey: string | null;
  ceremonyPrivateKeyBlob: Uint8Array | null;
}

export interface KeyObjectRecord {
  id: string;
  domainId: string;
  kind: 'root' | 'standard';
  bits: 128 | 192 | 256;
  state: 'active' | 'suspended' | 'destroyed';
}

export interface KeyVersionRecord {
  keyId: string;
  version: number;
  generation: number;
  blob: Uint8Array | null;
  imported: boolean;
}

export interface NewKeyVersion {
  version: number;
  generation: number;
  blob: Uint8Array;
  imported: boolean;
}

/** The HSM's only Prisma access: domains, key objects (sealed blobs only) and import key pairs. */
@Injectable()
export class KeyStoreRepository {
  constructor(private readonly prisma: HsmPrisma) {}

  findDomain(id: string): Promise<DomainRecord | null> {
    return this.prisma.domain.findUnique({ where: { id } });
  }

  /** Creates the domain if missing; returns whether it was created. */
  async ensureDomain(id: string): Promise<boolean> {
    const result = await this.prisma.domain.createMany({ data: [{ id }], skipDuplicates: true });
    return result.count === 1;
  }

  async setCeremonyKey(id: string, publicKey: string, privateBlob: Uint8Array): Promise<void> {
    await this.prisma.domain.update({ where: { id }, data: { ceremonyPublicKey: publicKey, ceremonyPrivateKeyBlob: Buffer.from(privateBlob) } });
  }

  /** First ceremony: only while the domain has none (a concurrent second ceremony loses). */
  async initializeDomain(id: string, threshold: number | null, masterCheck: string, partChecks: string[]): Promise<boolean> {
    const result = await this.prisma.domain.updateMany({
      where: { id, masterCheck: null },
      data: { threshold, masterCheck, partChecks, generation: 1 },
    });
    return result.count === 1;
  }

  async setPendingCeremony(id: string, threshold: number, masterCheck: string, partChecks: string[]): Promise<void> {
    await this.prisma.domain.update({ where: { id }, data: { pendingThreshold: threshold, pendingMasterCheck: masterCheck, pendingPartChecks: partChecks } });
  }

  /** Ends a master-key rotation: the pending master key becomes generation + 1. */
  async promotePendingCeremony(id: string, fromGeneration: number): Promise<boolean> {
    const domain = await this.findDomain(id);
    if (!domain || domain.generation !== fromGeneration || !domain.pendingMasterCheck) return false;
    const result = await this.prisma.domain.updateMany({
      where: { id, generation: fromGeneration },
      data: {
        generation: fromGeneration + 1,
        threshold: domain.pendingThreshold,
        masterCheck: domain.pendingMasterCheck,
        partChecks: domain.pendingPartChecks,
        pendingThreshold: null,
        pendingMasterCheck: null,
        pendingPartChecks: [],
      },
    });
    return result.count === 1;
  }

  async createKey(key: Omit<KeyObjectRecord, 'state'>, first: NewKeyVersion): Promise<void> {
    await this.prisma.keyObject.create({
      data: {
        ...key,
        state: 'active',
        versions: { create: [{ ...first, blob: Buffer.from(first.blob) }] },
      },
    });
  }

  async findKey(domainId: string, id: string): Promise<KeyObjectRecord | null> {
    const key = await this.prisma.keyObject.findFirst({ where: { id, domainId } });
    return key as KeyObjectRecord | null;
  }

  /** The key and its newest version number in one round trip (every wrap and unwrap needs both). */
  async findKeyWithLatest(domainId: string, id: string): Promise<(KeyObjectRecord & { latest: number | null }) | null> {
    const rows = await this.prisma.$queryRaw<(KeyObjectRecord & { latest: number | null })[]>`
      SELECT k.id, k.domain_id AS "domainId", k.kind, k.bits, k.state,
             (SELECT max(v.version) FROM key_versions v WHERE v.key_id = k.id) AS latest
      FROM key_objects k
      WHERE k.id = ${id}::uuid AND k.domain_id = ${domainId}`;
    return rows[0] ?? null;
  }

  findVersion(keyId: string, version: number): Promise<KeyVersionRecord | null> {
    return this.prisma.keyVersion.findUnique({ where: { keyId_version: { keyId, version } } });
  }

  async latestVersion(keyId: string): Promise<KeyVersionRecord | null> {
    return this.prisma.keyVersion.findFirst({ where: { keyId }, orderBy: { version: 'desc' } });
  }

  /** Adds version max+1; the primary key makes two concurrent rotations fail one of them, which retries. */
  async addVersion(keyId: string, next: (version: number) => Promise<NewKeyVersion> | NewKeyVersion): Promise<number> {
    for (let attempt = 0; ; attempt += 1) {
      const latest = await this.latestVersion(keyId);
      const data = await next((latest?.version ?? 0) + 1);
      try {
        await this.prisma.keyVersion.create({ data: { keyId, ...data, blob: Buffer.from(data.blob) } });
        return data.version;
      } catch (error) {
        if (attempt >= 5 || (error as { code?: string }).code !== 'P2002') throw error;
      }
    }
  }

  async setKeyState(domainId: string, id: string, state: 'active' | 'suspended'): Promise<boolean> {
    const result = await this.prisma.keyObject.updateMany({ where: { id, domainId, state: { not: 'destroyed' } }, data: { state } });
    return result.count === 1;
  }

  /** Crypto-shredding: every version's sealed material is erased with the state change, atomically. */
  async destroyKey(domainId: string, id: string): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.keyVersion.updateMany({ where: { keyId: id }, data: { blob: null } }),
      this.prisma.keyObject.updateMany({ where: { id, domainId }, data: { state: 'destroyed' } }),
    ]);
  }

  async createImportKeyPair(record: { id: string; domainId: string; publicKey: string; generation: number; privateBlob: Uint8Array }): Promise<void> {
    await this.prisma.importKeyPair.create({ data: { ...record, privateBlob: Buffer.from(record.privateBlob) } });
  }

  findImportKeyPair(domainId: string, id: string) {
    return this.prisma.importKeyPair.findFirst({ where: { id, domainId } });
  }

  /** Master-key rotation: a page of versions still under `generation`. */
  versionsUnderGeneration(domainId: string, generation: number, take: number): Promise<KeyVersionRecord[]> {
    return this.prisma.keyVersion.findMany({
      where: { generation, blob: { not: null }, key: { domainId } },
      take,
      orderBy: [{ keyId: 'asc' }, { version: 'asc' }],
    });
  }

  /** Whether any key version or import key pair of the domain is sealed under `generation`. */
  async hasObjectsUnderGeneration(domainId: string, generation: number): Promise<boolean> {
    const version = await this.prisma.keyVersion.findFirst({ where: { generation, blob: { not: null }, key: { domainId } }, select: { keyId: true } });
    if (version) return true;
    return (await this.prisma.importKeyPair.count({ where: { domainId, generation } })) > 0;
  }

  /** Moves one version to the new generation, only if nobody else moved or destroyed it meanwhile. */
  async reencryptVersion(keyId: string, version: number, fromGeneration: number, toGeneration: number, blob: Uint8Array): Promise<void> {
    await this.prisma.keyVersion.updateMany({
      where: { keyId, version, generation: fromGeneration, blob: { not: null } },
      data: { generation: toGeneration, blob: Buffer.from(blob) },
    });
  }

  importKeyPairsUnderGeneration(domainId: string, generation: number) {
    return this.prisma.importKeyPair.findMany({ where: { domainId, generation } });
  }

  async reencryptImportKeyPair(id: string, fromGeneration: number, toGeneration: number, privateBlob: Uint8Array): Promise<void> {
    await this.prisma.importKeyPair.updateMany({ where: { id, generation: fromGeneration }, data: { generation: toGeneration, privateBlob: Buffer.from(privateBlob) } });
  }

  async heartbeat(replicaId: string, activeDomains: string[], now: Date): Promise<void> {
    await this.prisma.hsmReplica.upsert({
      where: { id: replicaId },
      create: { id: replicaId, activeDomains, seenAt: now },
      update: { activeDomains, seenAt: now },
    });
  }

  liveReplicas(since: Date): Promise<{ id: string; activeDomains: string[] }[]> {
    return this.prisma.hsmReplica.findMany({ where: { seenAt: { gte: since } }, orderBy: { id: 'asc' }, select: { id: true, activeDomains: true } });
  }

  async removeReplica(replicaId: string): Promise<void> {
    await this.prisma.hsmReplica.deleteMany({ where: { id: replicaId } });
  }
}
