import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository';
import { AuditWriter } from './audit-writer';

/** Audit records of policy changes and denied decisions. */
@Global()
@Module({ providers: [AuditRepository, AuditWriter], exports: [AuditWriter, AuditRepository] })
export class AuditModule {}
