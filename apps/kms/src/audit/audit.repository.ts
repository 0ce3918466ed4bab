import { Injectable } from '@nestjs/common';
import { KmsPrisma } from '../database/kms-prisma.service';

export interface AuditEntry {
  at: Date;
  instanceGuid: string | null;
  keyId: string | null;
  action: string;
  outcome: 'success' | 'failure';
  status: number;
  errorCode: string | null;
  iamId: string | null;
  sourceCrn: string | null;
  correlationId: string | null;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: KmsPrisma) {}

  async insert(entries: AuditEntry[]): Promise<void> {
    await this.prisma.auditRecord.createMany({ data: entries });
  }
}
