import { type JWK, type KeyLike, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { IAM_TOKEN_ISSUER } from '@keyward/contracts';
import { JwtVerifier } from './jwt-verifier';
import { RemoteJwks } from './remote-jwks';

const CLAIMS = { iam_id: 'IBMid-1', sub_type: 'user', account: { bss: 'a'.repeat(32) } };

async function keyPair(kid: string): Promise<{ privateKey: KeyLike; jwk: JWK }> {
  const pair = await generateKeyPair('RS256');
  return { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

const sign = (kid: string, privateKey: KeyLike) =>
  new SignJWT(CLAIMS).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(IAM_TOKEN_ISSUER).setSubject('alice').setIssuedAt().setExpirationTime('10m').sign(privateKey);

/** A fake IAM JWKS endpoint whose published keys the test changes. */
function fakeIam(initial: JWK[]) {
  const state = { keys: initial, status: 200 };
  const fetch = jest.fn(async () => new Response(JSON.stringify({ keys: state.keys }), { status: state.status }));
  return { state, fetch };
}

describe(RemoteJwks.name, () => {
  let a: Awaited<ReturnType<typeof keyPair>>;
  let b: Awaited<ReturnType<typeof keyPair>>;

  beforeAll(async () => {
    [a, b] = await Promise.all([keyPair('kid-a'), keyPair('kid-b')]);
  });

  it('verifies a token signed by a key published right after its last fetch (jose’s cooldown refused it for 30 s)', async () => {
    const iam = fakeIam([a.jwk]);
    const jwks = new RemoteJwks(new URL('http://iam.test/identity/keys'), { minRefetchIntervalMs: 200, fetch: iam.fetch });
    const verifier = new JwtVerifier(jwks.getKey);
    await expect(verifier.verify(await sign('kid-a', a.privateKey))).resolves.toMatchObject({ iamId: 'IBMid-1' });
    expect(iam.fetch).toHaveBeenCalledTimes(1);
    iam.state.keys = [a.jwk, b.jwk]; // a replica started, or a key rotated in
    const fresh = await sign('kid-b', b.privateKey);
    // Five requests at once with the new kid: all verify, after one shared refetch.
    const results = await Promise.all(Array.from({ length: 5 }, () => verifier.verify(fresh)));
    expect(results.every((p) => p.iamId === 'IBMid-1')).toBe(true);
    expect(iam.fetch).toHaveBeenCalledTimes(2);
    // Known kids do not refetch.
    await verifier.verify(await sign('kid-a', a.privateKey));
    expect(iam.fetch).toHaveBeenCalledTimes(2);
  });

  it('refuses a kid still unknown after one refetch, and rate-limits refetches for unknown kids', async () => {
    const iam = fakeIam([a.jwk]);
    const jwks = new RemoteJwks(new URL('http://iam.test/identity/keys'), { minRefetchIntervalMs: 100, fetch: iam.fetch });
    const verifier = new JwtVerifier(jwks.getKey);
    const forged = await sign('kid-b', b.privateKey);
    const started = Date.now();
    // The key set is loaded once by a known kid…
    await verifier.verify(await sign('kid-a', a.privateKey));
    expect(iam.fetch).toHaveBeenCalledTimes(1);
    // …then four requests with an unknown kid share one refetch, which waits out the interval.
    const errors = await Promise.all(Array.from({ length: 4 }, () => verifier.verify(forged).catch((e: unknown) => e)));
    expect(errors).toEqual(Array.from({ length: 4 }, () => expect.objectContaining({ code: 'TOKEN_INVALID_ERR' })));
    expect(iam.fetch).toHaveBeenCalledTimes(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('says IAM is unavailable (503) when the key set cannot be read', async () => {
    const iam = fakeIam([a.jwk]);
    iam.state.status = 500;
    const verifier = new JwtVerifier(new RemoteJwks(new URL('http://iam.test/identity/keys'), { fetch: iam.fetch }).getKey);
    await expect(verifier.verify(await sign('kid-a', a.privateKey))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE_ERR' });
  });
});
