import { Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import { IamPrisma } from '../database/iam-prisma.service';

export interface PublicSigningKey {
  kid: string;
  publicJwk: JWK;
  signUntil: Date;
  retireAt: Date;
}

/** Public halves of token signing keys only: private keys never leave the replica that made them. */
@Injectable()
export class SigningKeysRepository {
  constructor(private readonly prisma: IamPrisma) {}

  async save(key: PublicSigningKey & { replicaId: string }): Promise<void> {
    await this.prisma.signingKey.create({ data: { ...key, publicJwk: key.publicJwk as object } });
  }

  /** A pre-published key takes over: it signs (and stays published) from now on. */
  async extend(kid: string, signUntil: Date, retireAt: Date): Promise<void> {
    await this.prisma.signingKey.update({ where: { kid }, data: { signUntil, retireAt } });
  }

  async find(kid: string): Promise<PublicSigningKey | undefined> {
    const row = await this.prisma.signingKey.findUnique({ where: { kid } });
    return row ? { kid: row.kid, publicJwk: row.publicJwk as unknown as JWK, signUntil: row.signUntil, retireAt: row.retireAt } : undefined;
  }

  async listPublished(now: Date): Promise<PublicSigningKey[]> {
    const rows = await this.prisma.signingKey.findMany({ where: { retireAt: { gt: now } }, orderBy: { createdAt: 'desc' } });
    return rows.map((row) => ({ kid: row.kid, publicJwk: row.publicJwk as unknown as JWK, signUntil: row.signUntil, retireAt: row.retireAt }));
  }

  async deleteRetired(now: Date): Promise<void> {
    await this.prisma.signingKey.deleteMany({ where: { retireAt: { lte: now } } });
  }
}
