import { type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { DomainError, IAM_TOKEN_ALGORITHM, IAM_TOKEN_ISSUER } from '@keyward/contracts';
import { type Principal, principalFromClaims } from './principal';
import { JwksUnavailableError, RemoteJwks, type RemoteJwksOptions } from './remote-jwks';

export interface JwtVerifierOptions {
  /** Seconds of clock skew tolerated on `exp`/`iat`. */
  clockToleranceSec?: number;
  /** Tests pass a clock; defaults to the system's. */
  now?: () => Date;
}

/** Verified tokens remembered at most; past it the memo starts over (a burst of one-off tokens). */
const VERIFIED_MEMO_MAX = 10_000;

/**
 * Verifies IAM access tokens locally: signature against IAM's keys (a cached JWKS in other apps, the
 * key store in IAM itself), issuer, algorithm and expiry. Errors never echo the token.
 *
 * A consumer sends the same token on thousands of calls, so a verified token is remembered (in
 * memory only) until its `exp`: the signature check, the costliest step of a wrap call, runs once
 * per token instead of once per request. Expiry is still checked on every call.
 */
export class JwtVerifier {
  private readonly verified = new Map<string, { principal: Principal; expiresAtMs: number }>();

  constructor(
    private readonly getKey: JWTVerifyGetKey,
    private readonly options: JwtVerifierOptions = {},
  ) {}

  /**
   * For apps other than IAM: IAM's `GET /identity/keys`, cached (RemoteJwks). A token naming a key
   * not yet in the cache (IAM rotated one in, or a replica started) waits for the next refetch, at
   * most one per 5 s, instead of being refused, so rotation needs no restart and breaks no token.
   */
  static forJwksUrl(jwksUrl: string, options: JwtVerifierOptions & { jwks?: RemoteJwksOptions } = {}): JwtVerifier {
    const { jwks, ...verifierOptions } = options;
    return new JwtVerifier(new RemoteJwks(new URL(jwksUrl), jwks).getKey, verifierOptions);
  }

  async verify(token: string | undefined): Promise<Principal> {
    if (!token) throw new DomainError('UNAUTHORIZED_ERR', 'Unauthorized: a bearer token from IAM is required');
    const remembered = this.verified.get(token);
    if (remembered) {
      if (this.nowMs() < remembered.expiresAtMs) return remembered.principal;
      this.verified.delete(token);
    }
    const principal = await this.verifySignedToken(token);
    if (this.verified.size >= VERIFIED_MEMO_MAX) this.verified.clear();
    this.verified.set(token, principal);
    return principal.principal;
  }

  private nowMs(): number {
    return (this.options.now?.() ?? new Date()).getTime();
  }

  private async verifySignedToken(token: string): Promise<{ principal: Principal; expiresAtMs: number }> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        issuer: IAM_TOKEN_ISSUER,
        algorithms: [IAM_TOKEN_ALGORITHM],
        clockTolerance: this.options.clockToleranceSec ?? 5,
        ...(this.options.now ? { currentDate: this.options.now() } : {}),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new DomainError('TOKEN_EXPIRED_ERR', undefined, { cause: stripToken(error) });
      if (error instanceof DomainError) throw error;
      if (isJwksUnavailable(error)) {
        throw new DomainError('SERVICE_UNAVAILABLE_ERR', 'IAM signing keys could not be fetched', { cause: stripToken(error) });
      }
      throw new DomainError('TOKEN_INVALID_ERR', undefined, { cause: stripToken(error) });
    }
    const principal = principalFromClaims(payload);
    if (!principal) throw new DomainError('TOKEN_INVALID_ERR', 'The token lacks required IAM claims');
    const exp = (payload as { exp?: unknown }).exp;
    // jose accepted it, so `exp` (when present) is in the future within the tolerance; without one, do not remember it.
    const expiresAtMs = typeof exp === 'number' ? exp * 1000 : 0;
    return { principal, expiresAtMs };
  }
}

function isJwksUnavailable(error: unknown): boolean {
  return error instanceof JwksUnavailableError || error instanceof joseErrors.JWKSTimeout || (error instanceof Error && /fetch failed|ECONNREFUSED/i.test(error.message));
}

/** jose's errors can carry the claims; keep only the code and name for the log. */
function stripToken(error: unknown): Error {
  const code = (error as { code?: string }).code;
  return new Error(`${(error as Error).name ?? 'Error'}${code ? ` (${code})` : ''}`);
}
