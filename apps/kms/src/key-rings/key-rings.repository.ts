import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { KmsPrisma } from '../database/kms-prisma.service';
import type { Prisma } from '../generated/prisma/client';
import { DEFAULT_KEY_RING, MAX_KEY_RINGS } from './key-ring-rules';

const DESTROYED = 5;

export interface KeyRingRow {
  id: string;
  creationDate: Date;
  createdBy: string;
}

/**
 * Key rings and which ring a key is in. Changes that depend on a ring existing lock its row (`FOR SHARE`
 * to place a key, `FOR UPDATE` to delete the ring), so a key can never land in a ring being deleted.
 */
@Injectable()
export class KeyRingsRepository {
  constructor(private readonly prisma: KmsPrisma) {}

  async exists(instanceGuid: string, id: string): Promise<boolean> {
    if (id === DEFAULT_KEY_RING) return true;
    return (await this.prisma.keyRing.count({ where: { instanceGuid, id } })) > 0;
  }

  list(instanceGuid: string): Promise<KeyRingRow[]> {
    return this.prisma.keyRing.findMany({ where: { instanceGuid }, orderBy: [{ creationDate: 'asc' }, { id: 'asc' }], select: { id: true, creationDate: true, createdBy: true } });
  }

  /** One creation at a time per instance (advisory lock), so the quota holds under concurrency. */
  async create(instanceGuid: string, id: string, createdBy: string, at: Date): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`key_rings:${instanceGuid}`}))`;
      if (id === DEFAULT_KEY_RING || (await tx.keyRing.count({ where: { instanceGuid, id } })) > 0) throw new DomainError('KEY_RING_EXISTS_ERR');
      // `default` counts as one of the 50.
      if ((await tx.keyRing.count({ where: { instanceGuid } })) + 1 >= MAX_KEY_RINGS) throw new DomainError('KEY_RING_QUOTA_ERR');
      await tx.keyRing.create({ data: { instanceGuid, id, createdBy, creationDate: at } });
    });
  }

  /**
   * Deletes a ring that holds no key but destroyed ones; with `force` those move to `default` first.
   * Locks the ring row so no key is placed in it meanwhile.
   */
  async delete(instanceGuid: string, id: string, force: boolean): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM key_rings WHERE instance_guid = ${instanceGuid} AND id = ${id} FOR UPDATE`;
      if (locked.length === 0) throw new DomainError('KEY_RING_NOT_FOUND_ERR');
      const inRing = { instanceGuid, keyRingId: id };
      if ((await tx.key.count({ where: { ...inRing, state: { not: DESTROYED } } })) > 0) throw new DomainError('KEY_RING_KEYS_NOT_DELETED_ERR');
      const destroyed = await tx.key.count({ where: { ...inRing, state: DESTROYED } });
      if (destroyed > 0 && !force) throw new DomainError('KEY_RING_NOT_EMPTY_ERR');
      if (destroyed > 0) await tx.key.updateMany({ where: { ...inRing, state: DESTROYED }, data: { keyRingId: DEFAULT_KEY_RING } });
      // A key restored meanwhile stayed behind: give up rather than leave it in a ring that no longer exists.
      if ((await tx.key.count({ where: inRing })) > 0) throw new DomainError('KEY_RING_KEYS_NOT_DELETED_ERR');
      await tx.keyRing.delete({ where: { instanceGuid_id: { instanceGuid, id } } });
    });
  }

  /** Moves a key to `toRing` (which must exist and is held until commit). */
  async moveKey(instanceGuid: string, keyId: string, toRing: string, at: Date): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await KeyRingsRepository.holdRing(tx, instanceGuid, toRing);
      await tx.key.updateMany({ where: { id: keyId, instanceGuid }, data: { keyRingId: toRing, lastUpdateDate: at } });
    });
  }

  /**
   * Inside a transaction that puts a key in `ring`: fails with KEY_RING_NOT_FOUND_ERR unless the ring
   * exists, and keeps it from being deleted until the transaction ends.
   */
  static async holdRing(tx: Prisma.TransactionClient, instanceGuid: string, ring: string): Promise<void> {
    if (ring === DEFAULT_KEY_RING) return;
    const held = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM key_rings WHERE instance_guid = ${instanceGuid} AND id = ${ring} FOR SHARE`;
    if (held.length === 0) throw new DomainError('KEY_RING_NOT_FOUND_ERR');
  }
}
