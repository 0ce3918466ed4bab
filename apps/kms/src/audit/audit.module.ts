import { Module } from '@nestjs/common';
import { KmsHttp } from '../common/kms-http';
import { AuditRepository } from './audit.repository';
import { AuditWriter } from './audit.writer';

@Module({ providers: [AuditRepository, AuditWriter, KmsHttp], exports: [AuditWriter] })
export class AuditModule {}
