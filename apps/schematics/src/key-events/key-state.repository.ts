import { Injectable } from '@nestjs/common';
import { SchematicsPrisma } from '../database/schematics-prisma.service';

export interface KeyStateRecord {
  keyId: string;
  keyCrn: string;
  eventType: string;
  keyState: number;
  eventTime: Date;
}

/** The last lifecycle event seen per root key. */
@Injectable()
export class KeyStateRepository {
  constructor(private readonly prisma: SchematicsPrisma) {}

  async record(state: KeyStateRecord): Promise<void> {
    await this.prisma.keyState.upsert({ where: { keyId: state.keyId }, create: state, update: state });
  }

  async find(keyIds: readonly string[]): Promise<Map<string, KeyStateRecord>> {
    const rows = await this.prisma.keyState.findMany({ where: { keyId: { in: [...keyIds] } } });
    return new Map(rows.map((row) => [row.keyId, row]));
  }
}
