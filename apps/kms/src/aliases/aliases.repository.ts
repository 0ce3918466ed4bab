import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { KmsPrisma } from '../database/kms-prisma.service';
import type { Prisma } from '../generated/prisma/client';
import { MAX_ALIASES_PER_INSTANCE, MAX_ALIASES_PER_KEY } from './alias-rules';

export interface AliasRow {
  keyId: string;
  alias: string;
  creationDate: Date;
  createdBy: string;
}

/** Key aliases. Additions take one advisory lock per instance, so both quotas hold under concurrency. */
@Injectable()
export class AliasesRepository {
  constructor(private readonly prisma: KmsPrisma) {}

  async taken(instanceGuid: string, aliases: string[]): Promise<boolean> {
    if (aliases.length === 0) return false;
    return (await this.prisma.keyAlias.count({ where: { instanceGuid, alias: { in: aliases } } })) > 0;
  }

  async add(instanceGuid: string, keyId: string, alias: string, createdBy: string, at: Date): Promise<AliasRow> {
    return this.prisma.$transaction(async (tx) => {
      const keyLeft = await tx.key.count({ where: { id: keyId, instanceGuid } });
      if (keyLeft === 0) throw new DomainError('KEY_NOT_FOUND_ERR');
      await AliasesRepository.addInTransaction(tx, instanceGuid, keyId, [alias], createdBy, at);
      return { keyId, alias, creationDate: at, createdBy };
    });
  }

  /** Adds aliases to a key inside the caller's transaction (also used when a key is created with `aliases`). */
  static async addInTransaction(tx: Prisma.TransactionClient, instanceGuid: string, keyId: string, aliases: string[], createdBy: string, at: Date): Promise<void> {
    if (aliases.length === 0) return;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`key_aliases:${instanceGuid}`}))`;
    if ((await tx.keyAlias.count({ where: { instanceGuid, alias: { in: aliases } } })) > 0) throw new DomainError('KEY_ALIAS_NOT_UNIQUE_ERR');
    if ((await tx.keyAlias.count({ where: { keyId } })) + aliases.length > MAX_ALIASES_PER_KEY) {
      throw new DomainError('KEY_ALIAS_QUOTA_ERR', `A key may have at most ${MAX_ALIASES_PER_KEY} aliases`);
    }
    if ((await tx.keyAlias.count({ where: { instanceGuid } })) + aliases.length > MAX_ALIASES_PER_INSTANCE) {
      throw new DomainError('KEY_ALIAS_QUOTA_ERR', `An instance may have at most ${MAX_ALIASES_PER_INSTANCE} aliases`);
    }
    await tx.keyAlias.createMany({ data: aliases.map((alias) => ({ instanceGuid, alias, keyId, createdBy, creationDate: at })) });
  }

  /** False when the key has no such alias. */
  async remove(instanceGuid: string, keyId: string, alias: string): Promise<boolean> {
    const { count } = await this.prisma.keyAlias.deleteMany({ where: { instanceGuid, keyId, alias } });
    return count > 0;
  }
}
