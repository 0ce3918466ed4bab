import { Injectable } from '@nestjs/common';
import { IamPrisma } from '../database/iam-prisma.service';

export interface AuditEntry {
  at: Date;
  kind: 'policy.change' | 'authz.decision';
  accountId?: string;
  actorId?: string;
  outcome: string;
  detail: Record<string, unknown>;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: IamPrisma) {}

  async insertMany(entries: readonly AuditEntry[]): Promise<void> {
    await this.prisma.auditRecord.createMany({
      data: entries.map((entry) => ({ ...entry, detail: entry.detail as object })),
    });
  }

  async list(filter: { accountId?: string; kind?: string }) {
    return this.prisma.auditRecord.findMany({ where: filter, orderBy: { id: 'asc' }, take: 1000 });
  }
}
