import { Inject, Injectable } from '@nestjs/common';
import { type JWK, type JWTVerifyGetKey, type KeyLike, exportJWK, generateKeyPair, importJWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { DomainError, IAM_TOKEN_ALGORITHM } from '@keyward/contracts';
import { IAM_CONFIG, type IamConfig } from '../config/iam.config';
import { Clock } from '../common/clock';
import { SigningKeysRepository } from './signing-keys.repository';

interface ActiveKey {
  kid: string;
  privateKey: KeyLike;
  signUntil: Date;
}

/**
 * Token signing keys. Each replica makes its own RSA key pair, keeps the private key in memory only,
 * and publishes the public key (database → JWKS). A key signs for the rotation period, then a new one
 * takes over; the old public key stays in the JWKS for one token lifetime more, so tokens in flight
 * keep verifying. A restarted replica simply makes a new key.
 */
@Injectable()
export class SigningKeyStore {
  private active?: ActiveKey;
  private rotating?: Promise<ActiveKey>;
  private readonly publicKeys = new Map<string, { key: KeyLike | Uint8Array; retireAt: Date }>();

  constructor(
    private readonly repository: SigningKeysRepository,
    private readonly clock: Clock,
    @Inject(IAM_CONFIG) private readonly config: IamConfig,
  ) {}

  /** The key to sign with now, rotating first when its period is over. */
  async current(): Promise<{ kid: string; privateKey: KeyLike }> {
    const now = this.clock.now();
    if (this.active && this.active.signUntil > now) return this.active;
    this.rotating ??= this.rotate().finally(() => {
      this.rotating = undefined;
    });
    return this.rotating;
  }

  private async rotate(): Promise<ActiveKey> {
    const now = this.clock.now();
    const { publicKey, privateKey } = await generateKeyPair(IAM_TOKEN_ALGORITHM, { modulusLength: 2048 });
    const kid = `kw-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomUUID().slice(0, 8)}`;
    const signUntil = new Date(now.getTime() + this.config.signingKeyRotationMs);
    // Published until the last token it signed has expired (plus a minute of clock skew).
    const retireAt = new Date(signUntil.getTime() + this.config.tokenTtlSec * 1000 + 60_000);
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: IAM_TOKEN_ALGORITHM, use: 'sig' };
    await this.repository.save({ kid, publicJwk, signUntil, retireAt, replicaId: this.config.service.replicaId });
    this.publicKeys.set(kid, { key: publicKey, retireAt });
    this.active = { kid, privateKey, signUntil };
    await this.repository.deleteRetired(now);
    return this.active;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const keys = await this.repository.listPublished(this.clock.now());
    return { keys: keys.map((key) => key.publicJwk) };
  }

  /** For jose's jwtVerify: the published key named by the token's `kid` (any replica's). */
  readonly getKey: JWTVerifyGetKey = async (header) => {
    const kid = header.kid;
    if (!kid || header.alg !== IAM_TOKEN_ALGORITHM) throw new DomainError('TOKEN_INVALID_ERR');
    const now = this.clock.now();
    const cached = this.publicKeys.get(kid);
    if (cached && cached.retireAt > now) return cached.key;
    const stored = await this.repository.find(kid);
    if (!stored || stored.retireAt <= now) throw new DomainError('TOKEN_INVALID_ERR');
    const key = await importJWK(stored.publicJwk, IAM_TOKEN_ALGORITHM);
    this.publicKeys.set(kid, { key, retireAt: stored.retireAt });
    return key;
  };
}
