import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { DomainError, IAM_TOKEN_ALGORITHM, IAM_TOKEN_ISSUER } from '@keyward/contracts';
import { IAM_CONFIG, type IamConfig } from '../config/iam.config';
import { Clock } from '../common/clock';
import { hashSecret, newRefreshToken } from '../common/secrets';
import { type ApiKeyRecord, BOOTSTRAP_KEY_NAME, type IdentityRecord, IdentityRepository } from '../identity/identity.repository';
import { SigningKeyStore } from './signing-key-store';

export const APIKEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';
export const REFRESH_GRANT = 'refresh_token';

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  expiration: number;
  scope: string;
}

/**
 * `POST /identity/token` and `/oidc/token`: API key or refresh token in, a signed JWT out. A refresh
 * token works once (each use returns a new one) and only while the API key that began the session is
 * active.
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly identities: IdentityRepository,
    private readonly keys: SigningKeyStore,
    private readonly clock: Clock,
    @Inject(IAM_CONFIG) private readonly config: IamConfig,
  ) {}

  async grant(form: Record<string, unknown>): Promise<TokenResponse> {
    const grantType = typeof form['grant_type'] === 'string' ? form['grant_type'] : undefined;
    if (!grantType) throw new DomainError('INVALID_FIELD_ERR', 'grant_type is required', { target: { type: 'field', name: 'grant_type' } });
    if (grantType === APIKEY_GRANT) return this.withApiKey(form['apikey']);
    if (grantType === REFRESH_GRANT) return this.withRefreshToken(form['refresh_token']);
    throw new DomainError('UNSUPPORTED_GRANT_TYPE_ERR', `grant_type must be ${APIKEY_GRANT} or ${REFRESH_GRANT}`);
  }

  private async withApiKey(apikey: unknown): Promise<TokenResponse> {
    if (typeof apikey !== 'string' || apikey.length === 0) {
      throw new DomainError('INVALID_FIELD_ERR', 'apikey is required', { target: { type: 'field', name: 'apikey' } });
    }
    const key = apikey.length <= 512 ? await this.identities.findApiKeyByHash(hashSecret(apikey)) : undefined;
    if (!key || key.state !== 'active') throw new DomainError('BXNIM0415E');
    const identity = await this.identities.findIdentity(key.iamId);
    if (!identity || !mayActAsService(identity, key)) throw new DomainError('BXNIM0415E');
    return this.issue(identity, key.id);
  }

  private async withRefreshToken(refreshToken: unknown): Promise<TokenResponse> {
    if (typeof refreshToken !== 'string' || refreshToken.length === 0 || refreshToken.length > 512) {
      throw new DomainError('INVALID_FIELD_ERR', 'refresh_token is required', { target: { type: 'field', name: 'refresh_token' } });
    }
    const session = await this.identities.consumeRefreshToken(hashSecret(refreshToken), this.clock.now());
    if (!session) throw new DomainError('INVALID_GRANT_ERR', 'The refresh token is not valid, was already used, or has expired');
    const key = await this.identities.findApiKey(session.apiKeyId);
    const identity = await this.identities.findIdentity(session.iamId);
    if (!key || key.state !== 'active' || !identity || !mayActAsService(identity, key)) throw new DomainError('INVALID_GRANT_ERR', 'The API key of this session is no longer active');
    return this.issue(identity, key.id);
  }

  private async issue(identity: IdentityRecord, apiKeyId: string): Promise<TokenResponse> {
    const now = this.clock.now();
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.config.tokenTtlSec;
    const { kid, privateKey } = await this.keys.current();
    const accessToken = await new SignJWT({
      iam_id: identity.iamId,
      sub_type: identity.kind,
      account: { bss: identity.accountId },
      ...(identity.serviceName ? { service_name: identity.serviceName } : {}),
      grant_type: APIKEY_GRANT,
      scope: 'ibm openid',
    })
      .setProtectedHeader({ alg: IAM_TOKEN_ALGORITHM, kid, typ: 'JWT' })
      .setIssuer(IAM_TOKEN_ISSUER)
      .setSubject(identity.kind === 'user' ? identity.name : identity.iamId.replace(/^iam-/, ''))
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(privateKey);
    const refreshToken = newRefreshToken();
    await this.identities.createRefreshToken({
      tokenHash: hashSecret(refreshToken),
      iamId: identity.iamId,
      apiKeyId,
      expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlSec * 1000),
    });
    return { access_token: accessToken, refresh_token: refreshToken, token_type: 'Bearer', expires_in: this.config.tokenTtlSec, expiration: exp, scope: 'ibm openid' };
  }
}

/**
 * A token with `service_name` skips registry authorization, so only the key bootstrap wrote from
 * KEYWARD_SERVICE_APIKEY_<NAME> for that service's own identity may mint one (defence in depth: the
 * API already refuses other keys for these identities).
 */
function mayActAsService(identity: IdentityRecord, key: ApiKeyRecord): boolean {
  return !identity.serviceName || (key.name === BOOTSTRAP_KEY_NAME && key.iamId === identity.iamId && key.accountId === identity.accountId);
}
