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

  list(clusterId: string): Promise<BackupRecord[]> {
    return this.prisma.backup.findMany({ where: { clusterId }, orderBy: { createdAt: 'asc' } });
  }
}
