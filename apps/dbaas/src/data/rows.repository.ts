import { Injectable } from '@nestjs/common';
import { DbaasPrisma } from '../database/dbaas-prisma.service';
import { Prisma } from '../generated/prisma/client';

export interface SealedRow {
  tableName: string;
  rowId: string;
  ciphertext: string;
}

/** A cluster's rows, only ever as ciphertext. */
@Injectable()
export class RowsRepository {
  constructor(private readonly prisma: DbaasPrisma) {}

  /** false when the primary key is taken. */
  async insert(clusterId: string, row: SealedRow): Promise<boolean> {
    try {
      await this.prisma.dataRow.create({ data: { clusterId, ...row } });
      return true;
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return false;
      throw error;
    }
  }

  find(clusterId: string, tableName: string, rowId: string): Promise<SealedRow | null> {
    return this.prisma.dataRow.findUnique({ where: { clusterId_tableName_rowId: { clusterId, tableName, rowId } }, select: { tableName: true, rowId: true, ciphertext: true } });
  }

  /** false when there is no such row. */
  async update(clusterId: string, row: SealedRow): Promise<boolean> {
    const { count } = await this.prisma.dataRow.updateMany({ where: { clusterId, tableName: row.tableName, rowId: row.rowId }, data: { ciphertext: row.ciphertext } });
    return count === 1;
  }

  async delete(clusterId: string, tableName: string, rowId: string): Promise<boolean> {
    const { count } = await this.prisma.dataRow.deleteMany({ where: { clusterId, tableName, rowId } });
    return count === 1;
  }

  list(clusterId: string, tableName?: string): Promise<SealedRow[]> {
    return this.prisma.dataRow.findMany({
      where: { clusterId, ...(tableName ? { tableName } : {}) },
      select: { tableName: true, rowId: true, ciphertext: true },
      orderBy: [{ tableName: 'asc' }, { rowId: 'asc' }],
    });
  }

  /** Every row at once (a restore), in one transaction. */
  async insertAll(clusterId: string, rows: readonly SealedRow[]): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.dataRow.createMany({ data: rows.map((row) => ({ clusterId, ...row })) });
    });
  }
}
