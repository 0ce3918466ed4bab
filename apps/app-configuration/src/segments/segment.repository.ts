import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { AppConfigurationPrisma } from '../database/app-configuration-prisma.service';
import { Prisma } from '../generated/prisma/client';
import type { KmsIntegrationRecord } from '../integrations/integration.repository';

export interface SegmentRow {
  instanceGuid: string;
  segmentId: string;
  name: string;
  description: string;
  /** Plaintext rules: only without a Key Management integration. */
  rules: unknown;
  /** The rules under the instance's data key: only with one. */
  rulesCiphertext: string | null;
  updatedAt: Date;
}

export interface SegmentWrite {
  segmentId: string;
  name: string;
  description: string;
  rules: unknown;
}

/** How a segment's rules are stored, decided inside the write's transaction (integration or not). */
export type RulesSealer = (integration: KmsIntegrationRecord | null, segmentId: string, rules: unknown) => Promise<{ rules: unknown } | { rulesCiphertext: string }>;

@Injectable()
export class SegmentRepository {
  constructor(private readonly prisma: AppConfigurationPrisma) {}

  list(instanceGuid: string): Promise<SegmentRow[]> {
    return this.prisma.segment.findMany({ where: { instanceGuid }, orderBy: { segmentId: 'asc' } });
  }

  listByIds(instanceGuid: string, segmentIds: readonly string[]): Promise<SegmentRow[]> {
    return this.prisma.segment.findMany({ where: { instanceGuid, segmentId: { in: [...segmentIds] } } });
  }

  async find(instanceGuid: string, segmentId: string): Promise<SegmentRow | undefined> {
    return (await this.prisma.segment.findUnique({ where: { instanceGuid_segmentId: { instanceGuid, segmentId } } })) ?? undefined;
  }

  /**
   * Creates or replaces a segment. The instance row is locked (as a connect locks it), so a segment
   * is never written in plaintext while a connect re-encrypts the others.
   */
  async write(instanceGuid: string, segment: SegmentWrite, mode: 'create' | 'replace', seal: RulesSealer): Promise<SegmentRow> {
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT guid FROM instances WHERE guid = ${instanceGuid} FOR UPDATE`;
        const where = { instanceGuid_segmentId: { instanceGuid, segmentId: segment.segmentId } };
        const existing = await tx.segment.findUnique({ where });
        if (mode === 'create' && existing) throw new DomainError('CONFLICT_ERR', `Segment ${segment.segmentId} already exists`, { target: { type: 'field', name: 'segment_id' } });
        if (mode === 'replace' && !existing) throw new DomainError('NOT_FOUND_ERR', `Segment ${segment.segmentId} does not exist`);
        const integration = await tx.kmsIntegration.findUnique({ where: { instanceGuid } });
        const sealed = await seal(integration, segment.segmentId, segment.rules);
        const data =
          'rulesCiphertext' in sealed
            ? { rules: Prisma.DbNull, rulesCiphertext: sealed.rulesCiphertext }
            : { rules: sealed.rules as Prisma.InputJsonValue, rulesCiphertext: null };
        return tx.segment.upsert({
          where,
          create: { instanceGuid, segmentId: segment.segmentId, name: segment.name, description: segment.description, ...data },
          update: { name: segment.name, description: segment.description, ...data },
        });
      },
      { timeout: 30_000 },
    );
  }

  async remove(instanceGuid: string, segmentId: string): Promise<boolean> {
    const { count } = await this.prisma.segment.deleteMany({ where: { instanceGuid, segmentId } });
    return count > 0;
  }
}
