import { Injectable } from '@nestjs/common';
import { KmsPrisma } from '../database/kms-prisma.service';
import type { ImportToken } from '../generated/prisma/client';

export type ImportTokenRow = ImportToken;
export type NewImportToken = Omit<ImportToken, 'importsUsed'>;

/** Import tokens (one per instance). Every counter changes with a conditional update, so concurrent requests cannot overspend. */
@Injectable()
export class ImportTokensRepository {
  constructor(private readonly prisma: KmsPrisma) {}

  /** A POST replaces the instance's token (new key pair, new nonce, counters reset). */
  replace(token: NewImportToken): Promise<ImportTokenRow> {
    const { instanceGuid, ...rest } = token;
    return this.prisma.importToken.upsert({
      where: { instanceGuid },
      create: { ...token, importsUsed: 0 },
      update: { ...rest, importsUsed: 0 },
    });
  }

  find(instanceGuid: string): Promise<ImportTokenRow | null> {
    return this.prisma.importToken.findUnique({ where: { instanceGuid } });
  }

  /** Takes one retrieval of this very token (same key pair) if it has one left and has not expired. */
  async takeRetrieval(instanceGuid: string, keyPairId: string, now: Date): Promise<ImportTokenRow | undefined> {
    const { count } = await this.prisma.importToken.updateMany({
      where: { instanceGuid, keyPairId, remainingRetrievals: { gt: 0 }, expirationDate: { gt: now } },
      data: { remainingRetrievals: { decrement: 1 } },
    });
    return count === 1 ? ((await this.find(instanceGuid)) ?? undefined) : undefined;
  }

  /** Reserves one import (create or rotate) on this token, if it allows one more and has not expired. */
  async reserveImport(instanceGuid: string, keyPairId: string, maxAllowed: number, now: Date): Promise<boolean> {
    const { count } = await this.prisma.importToken.updateMany({
      where: { instanceGuid, keyPairId, importsUsed: { lt: maxAllowed }, expirationDate: { gt: now } },
      data: { importsUsed: { increment: 1 } },
    });
    return count === 1;
  }

  /** Gives a reserved import back when the import failed (a failed import does not use up the token). */
  async releaseImport(instanceGuid: string, keyPairId: string): Promise<void> {
    await this.prisma.importToken.updateMany({ where: { instanceGuid, keyPairId, importsUsed: { gt: 0 } }, data: { importsUsed: { decrement: 1 } } });
  }
}
