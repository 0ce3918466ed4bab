import { type KeyLike, SignJWT, exportJWK, generateKeyPair, createLocalJWKSet } from 'jose';
import { DomainError, IAM_TOKEN_ISSUER } from '@keyward/contracts';
import { JwtVerifier } from './jwt-verifier';
import { bearerToken } from './principal';

const CLAIMS = { iam_id: 'IBMid-1', sub_type: 'user', account: { bss: 'a'.repeat(32) } };

describe(JwtVerifier.name, () => {
  let privateKey: KeyLike;
  let otherKey: KeyLike;
  let publicKey: KeyLike;
  let verifier: JwtVerifier;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    publicKey = pair.publicKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' };
    verifier = new JwtVerifier(createLocalJWKSet({ keys: [jwk] }));
  });

  const sign = (claims: Record<string, unknown>, options: { key?: KeyLike; exp?: number; issuer?: string; kid?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
      .setIssuer(options.issuer ?? IAM_TOKEN_ISSUER)
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(options.key ?? privateKey);

  it('turns a valid token into a principal', async () => {
    await expect(verifier.verify(await sign({ ...CLAIMS, service_name: 'kms', sub_type: 'ServiceId' }))).resolves.toEqual({
      iamId: 'IBMid-1',
      sub: 'alice',
      subType: 'ServiceId',
      accountId: 'a'.repeat(32),
      serviceName: 'kms',
    });
  });

  it('refuses expired, forged, foreign-issuer and claim-less tokens with 401, never echoing the token', async () => {
    const cases: [string, string][] = [
      [await sign(CLAIMS, { exp: Math.floor(Date.now() / 1000) - 60 }), 'TOKEN_EXPIRED_ERR'],
      [await sign(CLAIMS, { key: otherKey }), 'TOKEN_INVALID_ERR'],
      [await sign(CLAIMS, { issuer: 'someone-else' }), 'TOKEN_INVALID_ERR'],
      [await sign({ iam_id: 'IBMid-1' }), 'TOKEN_INVALID_ERR'],
      [await sign(CLAIMS, { kid: 'unknown' }), 'TOKEN_INVALID_ERR'],
      ['not.a.jwt', 'TOKEN_INVALID_ERR'],
    ];
    for (const [token, code] of cases) {
      const error = await verifier.verify(token).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code, status: 401 });
      expect(String((error as DomainError).message)).not.toContain(token);
      expect(String(((error as DomainError).cause as Error | undefined)?.message ?? '')).not.toContain(token);
    }
    await expect(verifier.verify(undefined)).rejects.toMatchObject({ code: 'UNAUTHORIZED_ERR' });
  });

  it('checks a signature once per token, yet refuses the remembered token once it has expired', async () => {
    let now = new Date();
    const localSet = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] });
    let keyLookups = 0;
    const counting = new JwtVerifier(
      (header, token) => {
        keyLookups++;
        return localSet(header, token);
      },
      { now: () => now, clockToleranceSec: 0 },
    );
    const token = await sign(CLAIMS, { exp: Math.floor(now.getTime() / 1000) + 60 });
    for (let i = 0; i < 5; i++) await expect(counting.verify(token)).resolves.toMatchObject({ iamId: 'IBMid-1' });
    expect(keyLookups).toBe(1);
    now = new Date(now.getTime() + 61_000);
    await expect(counting.verify(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED_ERR' });
    // A forged token with the same claims is not served from the memo: only the exact string is.
    await expect(counting.verify(await sign(CLAIMS, { key: otherKey }))).rejects.toMatchObject({ code: 'TOKEN_INVALID_ERR' });
  });

  it('reads only Bearer authorization headers', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
