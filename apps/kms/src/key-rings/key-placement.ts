import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { AliasesRepository } from '../aliases/aliases.repository';
import type { Prisma } from '../generated/prisma/client';
import { KeyRingsRepository } from './key-rings.repository';

/** Where a new key goes: its ring and its aliases (KeysService.create asks; rules in docs/KMS.md). */
@Injectable()
export class KeyPlacement {
  constructor(
    private readonly rings: KeyRingsRepository,
    private readonly aliases: AliasesRepository,
  ) {}

  ringExists(instanceGuid: string, ring: string): Promise<boolean> {
    return this.rings.exists(instanceGuid, ring);
  }

  /**
   * Before the HSM makes the key, so that a predictable refusal leaves nothing behind: the ring exists
   * and the aliases are free. The transaction checks both again (`inTransaction`).
   */
  async check(instanceGuid: string, ring: string, aliases: string[]): Promise<void> {
    if (!(await this.rings.exists(instanceGuid, ring))) throw new DomainError('KEY_RING_NOT_FOUND_ERR');
    if (await this.aliases.taken(instanceGuid, aliases)) throw new DomainError('KEY_ALIAS_NOT_UNIQUE_ERR');
  }

  /** The work that goes into the key's insert transaction: hold the ring, add the aliases. */
  inTransaction(placement: { instanceGuid: string; keyId: string; ring: string; aliases: string[]; createdBy: string; at: Date }) {
    return async (tx: Prisma.TransactionClient): Promise<void> => {
      await KeyRingsRepository.holdRing(tx, placement.instanceGuid, placement.ring);
      await AliasesRepository.addInTransaction(tx, placement.instanceGuid, placement.keyId, placement.aliases, placement.createdBy, placement.at);
    };
  }
}
