import { Injectable } from '@nestjs/common';
import { KmsPrisma } from '../database/kms-prisma.service';

/** Pending deletion authorizations (`setKeyForDeletion`), one per key. */
@Injectable()
export class DualAuthRepository {
  constructor(private readonly prisma: KmsPrisma) {}

  async set(keyId: string, authorizedBy: string, authorizedAt: Date, expiresAt: Date): Promise<void> {
    await this.prisma.keyDeletionAuthorization.upsert({
      where: { keyId },
      create: { keyId, authorizedBy, authorizedAt, expiresAt },
      update: { authorizedBy, authorizedAt, expiresAt },
    });
  }

  async clear(keyId: string): Promise<void> {
    await this.prisma.keyDeletionAuthorization.deleteMany({ where: { keyId } });
  }
}
