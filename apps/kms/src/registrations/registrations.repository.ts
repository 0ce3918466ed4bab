import { Injectable } from '@nestjs/common';
import { KmsPrisma } from '../database/kms-prisma.service';
import { Prisma, type Registration } from '../generated/prisma/client';

export type RegistrationRow = Registration;

/** A registration as listed: with its key's name and the registered version's creation date. */
export interface ListedRegistration extends RegistrationRow {
  keyName: string;
  versionCreationDate: Date | null;
}

export interface RegistrationQuery {
  instanceGuid: string;
  keyId?: string;
  /** A SQL LIKE pattern over the resource CRN (from `urlEncodedResourceCRNQuery`). */
  crnLike?: string;
  preventKeyDeletion?: boolean;
  keyRingId?: string;
  limit: number;
  offset: number;
}

export type RegistrationWrite = 'done' | 'exists' | 'missing' | 'key-not-active';

/** Registrations of resources with root keys (KEY-PROTECT-API.md §5). */
@Injectable()
export class RegistrationsRepository {
  constructor(private readonly prisma: KmsPrisma) {}

  find(keyId: string, resourceCrn: string): Promise<RegistrationRow | null> {
    return this.prisma.registration.findUnique({ where: { keyId_resourceCrn: { keyId, resourceCrn } } });
  }

  /**
   * Creates the registration while the key is locked and still active: a concurrent delete either
   * sees it (and is blocked) or has already moved the key out of state 1 (and the create fails).
   */
  async create(row: RegistrationRow): Promise<RegistrationWrite> {
    return this.prisma.$transaction(async (tx) => {
      if (!(await activeLocked(tx, row.keyId))) return 'key-not-active';
      const { count } = await tx.registration.createMany({ data: [row], skipDuplicates: true });
      return count === 1 ? 'done' : 'exists';
    });
  }

  async update(keyId: string, resourceCrn: string, changes: Prisma.RegistrationUpdateManyMutationInput): Promise<RegistrationWrite> {
    return this.prisma.$transaction(async (tx) => {
      if (!(await activeLocked(tx, keyId))) return 'key-not-active';
      const { count } = await tx.registration.updateMany({ where: { keyId, resourceCrn }, data: changes });
      return count === 1 ? 'done' : 'missing';
    });
  }

  async remove(keyId: string, resourceCrn: string): Promise<boolean> {
    const { count } = await this.prisma.registration.deleteMany({ where: { keyId, resourceCrn } });
    return count === 1;
  }

  /** Removes the registration only if it is on a key of `instanceGuid` (no IAM decision was asked for it). */
  async removeInInstance(instanceGuid: string, keyId: string, resourceCrn: string): Promise<boolean> {
    const { count } = await this.prisma.registration.deleteMany({ where: { keyId, resourceCrn, instanceGuid } });
    return count === 1;
  }

  /** What stands in the way of deleting a key: any registration, and those that forbid it outright. */
  async deletionBlockers(keyId: string): Promise<{ total: number; preventing: number }> {
    const [total, preventing] = await this.prisma.$transaction([
      this.prisma.registration.count({ where: { keyId } }),
      this.prisma.registration.count({ where: { keyId, preventKeyDeletion: true } }),
    ]);
    return { total, preventing };
  }

  async list(query: RegistrationQuery): Promise<{ rows: ListedRegistration[]; total: number }> {
    const where = Prisma.sql`r.instance_guid = ${query.instanceGuid}
      ${query.keyId === undefined ? Prisma.empty : Prisma.sql`AND r.key_id = ${query.keyId}`}
      ${query.crnLike === undefined ? Prisma.empty : Prisma.sql`AND r.resource_crn LIKE ${query.crnLike} ESCAPE '\\'`}
      ${query.preventKeyDeletion === undefined ? Prisma.empty : Prisma.sql`AND r.prevent_key_deletion = ${query.preventKeyDeletion}`}
      ${query.keyRingId === undefined ? Prisma.empty : Prisma.sql`AND k.key_ring_id = ${query.keyRingId}`}`;
    const [rows, counted] = await this.prisma.$transaction([
      this.prisma.$queryRaw<ListedRegistration[]>`
        SELECT r.key_id AS "keyId", r.resource_crn AS "resourceCrn", r.instance_guid AS "instanceGuid",
               r.prevent_key_deletion AS "preventKeyDeletion", r.description, r.registration_metadata AS "registrationMetadata",
               r.key_version_id AS "keyVersionId", r.created_by AS "createdBy", r.creation_date AS "creationDate",
               r.updated_by AS "updatedBy", r.last_updated AS "lastUpdated", k.name AS "keyName",
               v.creation_date AS "versionCreationDate"
        FROM registrations r JOIN keys k ON k.id = r.key_id LEFT JOIN key_versions v ON v.id = r.key_version_id
        WHERE ${where}
        ORDER BY r.creation_date, r.key_id, r.resource_crn
        LIMIT ${query.limit} OFFSET ${query.offset}`,
      this.prisma.$queryRaw<{ total: bigint }[]>`
        SELECT count(*) AS total FROM registrations r JOIN keys k ON k.id = r.key_id WHERE ${where}`,
    ]);
    return { rows, total: Number(counted[0]?.total ?? 0) };
  }
}

/** Locks the key row and tells whether it is (still) active. */
async function activeLocked(tx: Prisma.TransactionClient, keyId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ state: number }[]>`SELECT state FROM keys WHERE id = ${keyId} FOR UPDATE`;
  return rows[0]?.state === 1;
}
