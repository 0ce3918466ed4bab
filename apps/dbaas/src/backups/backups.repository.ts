import { Injectable } from '@nestjs/common';
import { DbaasPrisma } from '../database/dbaas-prisma.service';
import type { Prisma } from '../generated/prisma/client';

export type BackupRecord = Prisma.BackupGetPayload<object>;

/** Backups: each a sealed snapshot of a cluster's rows and its own wrapped DEK. */
@Injectable()
export class BackupsRepository {
  constructor(private readonly prisma: DbaasPrisma) {}

  create(backup: Prisma.BackupUncheckedCreateInput): Promise<BackupRecord> {
    return this.prisma.backup.create({ data: backup });
  }

  find(clusterId: string, id: string): Promise<BackupRecord | null> {
    return this.prisma.backup.findFirst({ where: { id, clusterId } });
  }

  /**
   * Ids of clusters whose newest backup (or creation, without one) is older than `before`, oldest
   * first, skipping clusters whose key is not active (their data cannot be read).
   */
  async dueForBackup(before: Date, limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT c.id FROM clusters c
      WHERE COALESCE((SELECT max(b.created_at) FROM backups b WHERE b.cluster_id = c.id), c.created_at) < ${before}
        AND NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.cluster_id = c.id AND n.key_status <> 'active')
      ORDER BY c.created_at LIMIT ${limit}`;
    return rows.map((row) => row.id);
  }

  /** Runs `work` on one replica at a time (a transaction-scoped advisory lock); false when another holds it. */
  async withSchedulerLock(work: () => Promise<void>): Promise<boolean> {
    return this.prisma.$transaction(
      async (tx) => {
        const [row] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext('keyward.dbaas.backups')) AS locked`;
        if (!row?.locked) return false;
        await work();
        return true;
      },
      { timeout: 10 * 60_000 },
    );
  }

  list(clusterId: string): Promise<BackupRecord[]> {
    return this.prisma.backup.findMany({ where: { clusterId }, orderBy: { createdAt: 'asc' } });
  }
}
