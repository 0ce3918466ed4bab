import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type JWK, type JWTVerifyGetKey, type KeyLike, exportJWK, generateKeyPair, importJWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { DomainError, IAM_TOKEN_ALGORITHM } from '@keyward/contracts';
import { IAM_CONFIG, type IamConfig } from '../config/iam.config';
import { Clock } from '../common/clock';
import { SigningKeysRepository } from './signing-keys.repository';

interface LocalKey {
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
  publishedAt: Date;
  signUntil: Date;
  retireAt: Date;
}

/**
 * Token signing keys. Each replica makes its own RSA key pairs, keeps the private keys in memory only,
 * and publishes the public keys (database → JWKS).
 *
 * Other apps cache the JWKS, so a key must be published before tokens signed with it reach them. The
 * replica therefore always holds a *next* key, published when the current one starts signing — a full
 * rotation period (which must exceed KEYWARD_IAM_SIGNING_KEY_PREPUBLISH_MS) before it takes over.
 * A replica that starts has no earlier key to sign with (private keys never leave memory), so it
 * publishes its first key at start and signs with it at once; the platform's verifier refetches the
 * JWKS for an unknown `kid` (a request waits for it, ≤ 1 fetch per 5 s) rather than refusing the
 * token. A key stays published for one token lifetime (plus a minute) after it stops signing.
 */
@Injectable()
export class SigningKeyStore implements OnApplicationBootstrap {
  private active?: LocalKey;
  private next?: LocalKey;
  private rotating?: Promise<LocalKey>;
  private readonly publicKeys = new Map<string, { key: KeyLike | Uint8Array; retireAt: Date }>();

  constructor(
    private readonly repository: SigningKeysRepository,
    private readonly clock: Clock,
    @Inject(IAM_CONFIG) private readonly config: IamConfig,
  ) {}

  /** Publishes this replica's keys at start, before the first token is asked for. */
  async onApplicationBootstrap(): Promise<void> {
    await this.current();
  }

  /** The key to sign with now, rotating first when its period is over. */
  async current(): Promise<{ kid: string; privateKey: KeyLike }> {
    if (this.active && this.active.signUntil > this.clock.now()) return this.active;
    this.rotating ??= this.rotate().finally(() => {
      this.rotating = undefined;
    });
    return this.rotating;
  }

  private async rotate(): Promise<LocalKey> {
    const now = this.clock.now();
    const next = this.next;
    const prePublished = next !== undefined && next.publishedAt.getTime() + this.config.signingKeyPrePublishMs <= now.getTime() && next.retireAt > now;
    let active: LocalKey;
    if (next && prePublished) {
      // Its public key is old enough for every verifier to have it; its period starts now.
      active = { ...next, ...this.window(now) };
      await this.repository.extend(active.kid, active.signUntil, active.retireAt);
    } else {
      active = await this.publish(now, this.window(now));
    }
    this.active = active;
    this.publicKeys.set(active.kid, { key: await importJWK(active.publicJwk, IAM_TOKEN_ALGORITHM), retireAt: active.retireAt });
    // The successor is published now and takes over when this key's period ends; its window is
    // provisional (extended when it takes over, whenever that is).
    this.next = await this.publish(now, this.window(active.signUntil));
    await this.repository.deleteRetired(now);
    return active;
  }

  private window(from: Date): { signUntil: Date; retireAt: Date } {
    const signUntil = new Date(from.getTime() + this.config.signingKeyRotationMs);
    // Published until the last token it signed has expired (plus a minute of clock skew).
    return { signUntil, retireAt: new Date(signUntil.getTime() + this.config.tokenTtlSec * 1000 + 60_000) };
  }

  private async publish(now: Date, window: { signUntil: Date; retireAt: Date }): Promise<LocalKey> {
    const { publicKey, privateKey } = await generateKeyPair(IAM_TOKEN_ALGORITHM, { modulusLength: 2048 });
    const kid = `kw-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomUUID().slice(0, 8)}`;
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: IAM_TOKEN_ALGORITHM, use: 'sig' };
    await this.repository.save({ kid, publicJwk, ...window, replicaId: this.config.service.replicaId });
    return { kid, privateKey, publicJwk, publishedAt: now, ...window };
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
