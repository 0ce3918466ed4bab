import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { AppConfigurationPrisma } from '../database/app-configuration-prisma.service';
import type { Prisma } from '../generated/prisma/client';
import type { FlagDefinition, FlagKind, FlagSegmentRule, FlagType, FlagValue } from './flag-definition';

export interface StoredFlag extends FlagDefinition {
  environmentId: string;
  updatedAt: Date;
}

type Row = Awaited<ReturnType<AppConfigurationPrisma['flag']['findFirstOrThrow']>>;

@Injectable()
export class FlagRepository {
  constructor(private readonly prisma: AppConfigurationPrisma) {}

  async list(instanceGuid: string, environmentId: string, kind: FlagKind): Promise<StoredFlag[]> {
    return (await this.prisma.flag.findMany({ where: { instanceGuid, environmentId, kind }, orderBy: { flagId: 'asc' } })).map(toFlag);
  }

  async listAll(instanceGuid: string): Promise<StoredFlag[]> {
    return (await this.prisma.flag.findMany({ where: { instanceGuid } })).map(toFlag);
  }

  async find(instanceGuid: string, environmentId: string, kind: FlagKind, flagId: string): Promise<StoredFlag | undefined> {
    const row = await this.prisma.flag.findUnique({ where: { instanceGuid_environmentId_kind_flagId: { instanceGuid, environmentId, kind, flagId } } });
    return row ? toFlag(row) : undefined;
  }

  async write(instanceGuid: string, environmentId: string, flag: FlagDefinition, mode: 'create' | 'replace'): Promise<StoredFlag> {
    const where = { instanceGuid_environmentId_kind_flagId: { instanceGuid, environmentId, kind: flag.kind, flagId: flag.id } };
    const data = {
      name: flag.name,
      type: flag.type,
      enabled: flag.enabled,
      enabledValue: flag.enabledValue,
      disabledValue: flag.disabledValue ?? undefined,
      rolloutPercentage: flag.rolloutPercentage,
      segmentRules: flag.segmentRules as unknown as Prisma.InputJsonValue,
      collections: flag.collections,
    };
    if (mode === 'create') {
      const { count } = await this.prisma.flag.createMany({ data: [{ instanceGuid, environmentId, kind: flag.kind, flagId: flag.id, ...data }], skipDuplicates: true });
      if (count === 0) throw new DomainError('CONFLICT_ERR', `The ${flag.kind} ${flag.id} already exists in environment ${environmentId}`);
      return toFlag(await this.prisma.flag.findUniqueOrThrow({ where }));
    }
    const { count } = await this.prisma.flag.updateMany({ where: where.instanceGuid_environmentId_kind_flagId, data });
    if (count === 0) throw new DomainError('NOT_FOUND_ERR', `The ${flag.kind} ${flag.id} does not exist in environment ${environmentId}`);
    return toFlag(await this.prisma.flag.findUniqueOrThrow({ where }));
  }

  async remove(instanceGuid: string, environmentId: string, kind: FlagKind, flagId: string): Promise<boolean> {
    const { count } = await this.prisma.flag.deleteMany({ where: { instanceGuid, environmentId, kind, flagId } });
    return count > 0;
  }
}

function toFlag(row: Row): StoredFlag {
  return {
    kind: row.kind as FlagKind,
    id: row.flagId,
    name: row.name,
    type: row.type as FlagType,
    enabled: row.enabled,
    enabledValue: row.enabledValue as FlagValue,
    disabledValue: (row.disabledValue ?? null) as FlagValue | null,
    rolloutPercentage: row.rolloutPercentage,
    segmentRules: row.segmentRules as unknown as FlagSegmentRule[],
    collections: row.collections,
    environmentId: row.environmentId,
    updatedAt: row.updatedAt,
  };
}
