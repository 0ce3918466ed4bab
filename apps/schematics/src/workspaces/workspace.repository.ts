import { Injectable } from '@nestjs/common';
import { SchematicsPrisma } from '../database/schematics-prisma.service';
import type { Prisma } from '../generated/prisma/client';
import type { StoredDataKey } from '../encryption/workspace-keys';

/** A variable as stored: `sealed` (ciphertext) for sensitive values, `value` for the rest. */
export interface StoredVariable {
  name: string;
  sensitive: boolean;
  value?: string;
  sealed?: string;
}

export interface WorkspaceRecord {
  id: string;
  crn: string;
  accountId: string;
  location: string;
  name: string;
  resourceGroupId: string;
  templateSource: string;
  variables: StoredVariable[];
  stateSealed: string | null;
  dataKeys: StoredDataKey[];
  /** `default` (Schematics' own key) or `settings` (the location's KMS settings). */
  keySource: string;
  createdAt: Date;
  updatedAt: Date;
}

type Row = Prisma.WorkspaceGetPayload<object>;

@Injectable()
export class WorkspaceRepository {
  constructor(private readonly prisma: SchematicsPrisma) {}

  async create(record: Omit<WorkspaceRecord, 'createdAt' | 'updatedAt'>): Promise<WorkspaceRecord> {
    return toRecord(
      await this.prisma.workspace.create({
        data: { ...record, variables: record.variables as unknown as Prisma.InputJsonValue, dataKeys: record.dataKeys as unknown as Prisma.InputJsonValue },
      }),
    );
  }

  async find(accountId: string, id: string): Promise<WorkspaceRecord | undefined> {
    const row = await this.prisma.workspace.findFirst({ where: { id, accountId } });
    return row ? toRecord(row) : undefined;
  }

  async list(accountId: string): Promise<WorkspaceRecord[]> {
    return (await this.prisma.workspace.findMany({ where: { accountId }, orderBy: { createdAt: 'asc' } })).map(toRecord);
  }

  /** The workspace with this CRN (lifecycle events name registrations by CRN). */
  async findByCrn(crn: string): Promise<WorkspaceRecord | undefined> {
    const row = await this.prisma.workspace.findFirst({ where: { crn } });
    return row ? toRecord(row) : undefined;
  }

  async update(id: string, change: Partial<Pick<WorkspaceRecord, 'name' | 'templateSource' | 'variables' | 'stateSealed' | 'dataKeys'>>): Promise<WorkspaceRecord> {
    const { variables, dataKeys, ...rest } = change;
    return toRecord(
      await this.prisma.workspace.update({
        where: { id },
        data: {
          ...rest,
          ...(variables ? { variables: variables as unknown as Prisma.InputJsonValue } : {}),
          ...(dataKeys ? { dataKeys: dataKeys as unknown as Prisma.InputJsonValue } : {}),
        },
      }),
    );
  }

  /** Workspaces of an account's location still under Schematics' own key (re-encryption's queue). */
  async underDefaultKey(accountId: string, location: string, limit: number): Promise<WorkspaceRecord[]> {
    return (await this.prisma.workspace.findMany({ where: { accountId, location, keySource: 'default' }, orderBy: { createdAt: 'asc' }, take: limit })).map(toRecord);
  }

  /** Moves a workspace to the settings' keys unless another replica did first (false then). */
  async switchToSettingsKeys(id: string, from: readonly StoredDataKey[], dataKeys: readonly StoredDataKey[]): Promise<boolean> {
    const changed = await this.prisma.workspace.updateMany({
      where: { id, keySource: 'default', dataKeys: { equals: from as unknown as Prisma.InputJsonValue } },
      data: { keySource: 'settings', dataKeys: dataKeys as unknown as Prisma.InputJsonValue },
    });
    return changed.count === 1;
  }

  /** Replaces the data keys if nobody changed them meanwhile (false then: read again and retry). */
  async replaceDataKeys(id: string, from: readonly StoredDataKey[], dataKeys: readonly StoredDataKey[]): Promise<boolean> {
    const changed = await this.prisma.workspace.updateMany({
      where: { id, dataKeys: { equals: from as unknown as Prisma.InputJsonValue } },
      data: { dataKeys: dataKeys as unknown as Prisma.InputJsonValue },
    });
    return changed.count === 1;
  }

  /** Re-encryption progress of an account's location: all workspaces, and those still under Schematics' own key. */
  async keyProgress(accountId: string, location: string): Promise<{ total: number; pending: number }> {
    const [total, pending] = await this.prisma.$transaction([
      this.prisma.workspace.count({ where: { accountId, location } }),
      this.prisma.workspace.count({ where: { accountId, location, keySource: 'default' } }),
    ]);
    return { total, pending };
  }

  async delete(id: string): Promise<void> {
    await this.prisma.workspace.deleteMany({ where: { id } });
  }
}

function toRecord(row: Row): WorkspaceRecord {
  return { ...row, variables: row.variables as unknown as StoredVariable[], dataKeys: row.dataKeys as unknown as StoredDataKey[] };
}
