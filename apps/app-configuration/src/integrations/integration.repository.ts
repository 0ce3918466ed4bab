import { Injectable } from '@nestjs/common';
import { AppConfigurationPrisma } from '../database/app-configuration-prisma.service';
import { Prisma } from '../generated/prisma/client';

export type KeyState = 'active' | 'disabled' | 'deleted' | 'purged';

export interface KmsIntegrationRecord {
  instanceGuid: string;
  service: string;
  kmsInstanceId: string;
  keyId: string;
  keyCrn: string;
  sourceCrn: string;
  wrappedDek: string;
  keyVersionId: string;
  keyState: string;
  restorableUntil: Date | null;
  createdAt: Date;
}

export interface PendingUnregistrationRecord {
  sourceCrn: string;
  instanceGuid: string;
  kmsInstanceId: string;
  keyId: string;
  keyCrn: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

@Injectable()
export class IntegrationRepository {
  constructor(private readonly prisma: AppConfigurationPrisma) {}

  async find(instanceGuid: string): Promise<KmsIntegrationRecord | undefined> {
    return (await this.prisma.kmsIntegration.findUnique({ where: { instanceGuid } })) ?? undefined;
  }

  findBySourceCrn(sourceCrn: string): Promise<KmsIntegrationRecord[]> {
    return this.prisma.kmsIntegration.findMany({ where: { sourceCrn } });
  }

  async updateKey(instanceGuid: string, change: { wrappedDek?: string; keyVersionId?: string; keyState?: KeyState; restorableUntil?: Date | null }): Promise<void> {
    await this.prisma.kmsIntegration.updateMany({ where: { instanceGuid }, data: change });
  }

  /** The instance's CRN is the registration's resource CRN: one integration per source. */
  async updateKeyOfSource(sourceCrn: string, change: { wrappedDek: string; keyVersionId: string }): Promise<void> {
    await this.prisma.kmsIntegration.updateMany({ where: { sourceCrn }, data: change });
  }

  /**
   * The connect's one transaction: locks the instance's segments, hands their plaintext rules to
   * `seal` and stores only the ciphertext it returns, and writes the integration. If anything throws,
   * nothing is written.
   */
  async connect(
    integration: Omit<KmsIntegrationRecord, 'createdAt' | 'keyState' | 'restorableUntil'>,
    seal: (segmentId: string, rules: unknown) => Promise<string>,
  ): Promise<'created' | 'exists'> {
    return this.prisma.$transaction(
      async (tx) => {
        // Serializes connects and segment writes of one instance (FOR UPDATE on its row).
        await tx.$queryRaw`SELECT guid FROM instances WHERE guid = ${integration.instanceGuid} FOR UPDATE`;
        if (await tx.kmsIntegration.findUnique({ where: { instanceGuid: integration.instanceGuid } })) return 'exists';
        const segments = await tx.segment.findMany({ where: { instanceGuid: integration.instanceGuid } });
        for (const segment of segments) {
          if (segment.rules === null) continue;
          const ciphertext = await seal(segment.segmentId, segment.rules);
          await tx.segment.update({
            where: { instanceGuid_segmentId: { instanceGuid: segment.instanceGuid, segmentId: segment.segmentId } },
            data: { rules: Prisma.DbNull, rulesCiphertext: ciphertext },
          });
        }
        await tx.kmsIntegration.create({ data: integration });
        return 'created';
      },
      { timeout: 60_000 },
    );
  }

  /**
   * The instance was deleted: its data goes, and its registration (if any) joins the pending
   * unregistrations in the same transaction, so it is removed from the KMS even if this process stops now.
   */
  async removeInstance(instanceGuid: string): Promise<PendingUnregistrationRecord | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const integration = await tx.kmsIntegration.findUnique({ where: { instanceGuid } });
      let pending: PendingUnregistrationRecord | undefined;
      if (integration) {
        const { sourceCrn, kmsInstanceId, keyId, keyCrn } = integration;
        await tx.pendingUnregistration.createMany({ data: [{ sourceCrn, instanceGuid, kmsInstanceId, keyId, keyCrn }], skipDuplicates: true });
        pending = (await tx.pendingUnregistration.findUnique({ where: { sourceCrn } })) ?? undefined;
      }
      const where = { instanceGuid };
      await tx.flag.deleteMany({ where });
      await tx.segment.deleteMany({ where });
      await tx.environment.deleteMany({ where });
      await tx.collection.deleteMany({ where });
      await tx.kmsIntegration.deleteMany({ where });
      await tx.instance.deleteMany({ where: { guid: instanceGuid } });
      return pending;
    });
  }

  /** A failed connect's registration that could not be removed at once: retried like a deleted instance's. */
  async queueUnregistration(pending: Omit<PendingUnregistrationRecord, 'attempts' | 'lastError' | 'createdAt'>): Promise<void> {
    await this.prisma.pendingUnregistration.createMany({ data: [pending], skipDuplicates: true });
  }

  listPending(): Promise<PendingUnregistrationRecord[]> {
    return this.prisma.pendingUnregistration.findMany({ orderBy: { createdAt: 'asc' } });
  }

  async pendingFailed(sourceCrn: string, error: string): Promise<void> {
    await this.prisma.pendingUnregistration.updateMany({ where: { sourceCrn }, data: { attempts: { increment: 1 }, lastError: error.slice(0, 500) } });
  }

  async pendingDone(sourceCrn: string): Promise<void> {
    await this.prisma.pendingUnregistration.deleteMany({ where: { sourceCrn } });
  }
}
