import { Injectable } from '@nestjs/common';
import { SchematicsPrisma } from '../database/schematics-prisma.service';
import { Prisma } from '../generated/prisma/client';

export interface KmsEndpointSetting {
  name: string;
  keyCrn: string;
  endpoint: string;
}

export interface KmsSettingRecord {
  accountId: string;
  location: string;
  scheme: string;
  resourceGroupId: string;
  primary: KmsEndpointSetting;
  secondary: KmsEndpointSetting | null;
  createdAt: Date;
}

/** The per-location KMS settings (one row per account and location: a one-time setting). */
@Injectable()
export class KmsSettingsRepository {
  constructor(private readonly prisma: SchematicsPrisma) {}

  async find(accountId: string, location: string): Promise<KmsSettingRecord | undefined> {
    const row = await this.prisma.kmsSetting.findUnique({ where: { accountId_location: { accountId, location } } });
    return row ? toRecord(row) : undefined;
  }

  async all(): Promise<KmsSettingRecord[]> {
    return (await this.prisma.kmsSetting.findMany({ orderBy: { createdAt: 'asc' } })).map(toRecord);
  }

  /** Inserts the setting; false when one already exists (another request won the race). */
  async createOnce(setting: Omit<KmsSettingRecord, 'createdAt'>): Promise<boolean> {
    try {
      await this.prisma.kmsSetting.create({
        data: {
          accountId: setting.accountId,
          location: setting.location,
          scheme: setting.scheme,
          resourceGroupId: setting.resourceGroupId,
          primary: { ...setting.primary },
          secondary: setting.secondary ? { ...setting.secondary } : Prisma.DbNull,
        },
      });
      return true;
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return false;
      throw error;
    }
  }
}

function toRecord(row: { accountId: string; location: string; scheme: string; resourceGroupId: string; primary: unknown; secondary: unknown; createdAt: Date }): KmsSettingRecord {
  return { ...row, primary: row.primary as KmsEndpointSetting, secondary: (row.secondary as KmsEndpointSetting | null) ?? null };
}
