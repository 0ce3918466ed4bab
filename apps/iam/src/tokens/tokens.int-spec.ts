import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { IamAuthenticator } from 'ibm-cloud-sdk-core';
import { IAM_TOKEN_ISSUER } from '@keyward/contracts';
import { Clock } from '../common/clock';
import { startIam } from '../start-iam';
import { ManualClock } from '../test-support/manual-clock';
import { type IamSuite, call, startIamSuite, tokenFor } from '../test-support/iam-suite';

const APIKEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';

function form(values: Record<string, string>) {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(values).toString() };
}

describe('IAM tokens on real Postgres and NATS', () => {
  let s: IamSuite;

  beforeAll(async () => {
    s = await startIamSuite();
  });

  afterAll(async () => {
    await s?.close();
  });

  it('gives the bootstrap admin a signed JWT that verifies against GET /identity/keys', async () => {
    const response = await fetch(`${s.iam.url}/identity/token`, form({ grant_type: APIKEY_GRANT, apikey: s.suite.adminApiKey }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      expiration: expect.any(Number),
      scope: 'ibm openid',
    });
    const jwks = (await (await fetch(`${s.iam.url}/identity/keys`)).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys.every((key) => key.d === undefined)).toBe(true);
    const { payload, protectedHeader } = await jwtVerify(body['access_token'] as string, createLocalJWKSet(jwks as never), { issuer: IAM_TOKEN_ISSUER });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub_type: 'user', iam_id: expect.stringMatching(/^IBMid-/), sub: 'admin', account: { bss: expect.stringMatching(/^[a-f0-9]{32}$/) } });
    expect(payload['service_name']).toBeUndefined();
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
    expect(body['expiration']).toBe(payload.exp);
  });

  it('answers the same on /oidc/token, and gives a service its service_name claim', async () => {
    const response = await fetch(`${s.iam.url}/oidc/token`, form({ grant_type: APIKEY_GRANT, apikey: s.serviceKeys['hyperp-dbaas-postgresql'] as string }));
    expect(response.status).toBe(200);
    const claims = decodeJwt(((await response.json()) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ sub_type: 'ServiceId', service_name: 'hyperp-dbaas-postgresql', iam_id: expect.stringMatching(/^iam-ServiceId-/) });
  });

  it('refuses an unknown API key with BXNIM0415E in the IBM IAM error format', async () => {
    const response = await fetch(`${s.iam.url}/identity/token`, { ...form({ grant_type: APIKEY_GRANT, apikey: 'not-a-key-at-all-0000000' }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'bad-key-1' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found', context: { requestId: 'bad-key-1' } });
  });

  it('says what is missing or unsupported with a 400', async () => {
    const missing = await fetch(`${s.iam.url}/identity/token`, form({ grant_type: APIKEY_GRANT }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { errorMessage: string }).errorMessage).toMatch(/apikey/);
    const unsupported = await fetch(`${s.iam.url}/identity/token`, form({ grant_type: 'password', apikey: 'x' }));
    expect(unsupported.status).toBe(400);
    expect(((await unsupported.json()) as { errorCode: string }).errorCode).toBe('UNSUPPORTED_GRANT_TYPE_ERR');
  });

  it('exchanges a refresh token once, for a new access and refresh token', async () => {
    const first = (await (await fetch(`${s.iam.url}/identity/token`, form({ grant_type: APIKEY_GRANT, apikey: s.suite.adminApiKey }))).json()) as Record<string, string>;
    const refreshed = await fetch(`${s.iam.url}/identity/token`, form({ grant_type: 'refresh_token', refresh_token: first['refresh_token'] as string }));
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as Record<string, string>;
    expect(second['refresh_token']).not.toBe(first['refresh_token']);
    expect(decodeJwt(second['access_token'] as string)['iam_id']).toBe(decodeJwt(first['access_token'] as string)['iam_id']);
    const replay = await fetch(`${s.iam.url}/identity/token`, form({ grant_type: 'refresh_token', refresh_token: first['refresh_token'] as string }));
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { errorCode: string }).errorCode).toBe('INVALID_GRANT_ERR');
  });

  it('works with the official IamAuthenticator of ibm-cloud-sdk-core', async () => {
    const authenticator = new IamAuthenticator({ apikey: s.suite.adminApiKey, url: s.iam.url });
    const options: { headers?: Record<string, string> } = { headers: {} };
    await authenticator.authenticate(options);
    const header = options.headers?.['Authorization'] ?? '';
    expect(header).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decodeJwt(header.slice('Bearer '.length))['iam_id']).toEqual(expect.stringMatching(/^IBMid-/));
  });

  it('lists every Keyward service URL at /v1/endpoints without a token', async () => {
    const response = await call(s.iam.url, undefined, 'GET', '/v1/endpoints');
    expect(response.status).toBe(200);
    const endpoints = response.body?.['endpoints'] as { app: string; service_names: string[]; url: string }[];
    expect(endpoints.map((e) => e.app).sort()).toEqual(['app-configuration', 'dbaas', 'iam', 'kms', 'schematics']);
    expect(endpoints.find((e) => e.app === 'kms')).toEqual({ app: 'kms', service_names: ['kms', 'hs-crypto'], url: 'http://127.0.0.1:8102' });
  });

  it('refuses a forged or expired token on its own APIs with 401', async () => {
    const token = await tokenFor(s.iam.url, s.suite.adminApiKey);
    const [header, payload] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, iam_id: 'IBMid-someone-else' })).toString('base64url');
    const forged = await call(s.iam.url, `${header}.${forgedPayload}.${token.split('.')[2]}`, 'GET', '/v1/apikeys');
    expect(forged.status).toBe(401);
    expect(forged.body?.['errorCode']).toBe('TOKEN_INVALID_ERR');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: decodeProtectedHeader(token).kid })).toString('base64url')}.${payload}.`;
    expect((await call(s.iam.url, none, 'GET', '/v1/apikeys')).status).toBe(401);
    expect((await call(s.iam.url, undefined, 'GET', '/v1/apikeys')).status).toBe(401);
  });
});

describe('IAM signing key rotation', () => {
  const ROTATION_MS = 24 * 3600 * 1000;
  const clock = new ManualClock();
  let s: IamSuite;

  beforeAll(async () => {
    s = await startIamSuite({ KEYWARD_IAM_SIGNING_KEY_ROTATION_MS: String(ROTATION_MS) }, { clock });
  });

  afterAll(async () => {
    await s?.close();
  });

  const publishedKids = async () => ((await (await fetch(`${s.iam.url}/identity/keys`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

  it('signs with the key it published one period earlier, and still accepts tokens of the previous one', async () => {
    const before = await tokenFor(s.iam.url, s.suite.adminApiKey);
    const firstKid = decodeProtectedHeader(before).kid as string;
    const publishedBefore = await publishedKids();
    expect(publishedBefore).toContain(firstKid);
    expect(publishedBefore.length).toBe(2); // the signing key and its pre-published successor

    clock.advance(ROTATION_MS + 1000);
    const after = await tokenFor(s.iam.url, s.suite.adminApiKey);
    const secondKid = decodeProtectedHeader(after).kid as string;
    expect(secondKid).not.toBe(firstKid);
    // The new signing key was in the JWKS a whole period before its first token.
    expect(publishedBefore).toContain(secondKid);
    expect(await publishedKids()).toEqual(expect.arrayContaining([firstKid, secondKid]));
    expect((await call(s.iam.url, before, 'GET', '/v1/apikeys')).status).toBe(200);
    expect((await call(s.iam.url, after, 'GET', '/v1/apikeys')).status).toBe(200);

    // One token lifetime (plus a minute) after it stopped signing, the old key is gone.
    clock.advance(3600 * 1000 + 61_000);
    expect(await publishedKids()).not.toContain(firstKid);
  });

  it('refuses a rotation period no longer than the pre-publication delay', async () => {
    await expect(startIam(s.suite.envFor('iam', { KEYWARD_IAM_SIGNING_KEY_ROTATION_MS: '300' }))).rejects.toThrow(/KEYWARD_IAM_SIGNING_KEY_ROTATION_MS/);
  });
});

describe('IAM refuses expired tokens', () => {
  let s: IamSuite;
  /** IAM's clock runs two hours behind, so the tokens it issues expired an hour ago. */
  class LateClock extends Clock {
    now(): Date {
      return new Date(Date.now() - 2 * 3600 * 1000);
    }
  }

  beforeAll(async () => {
    s = await startIamSuite({}, { clock: new LateClock() });
  });

  afterAll(async () => {
    await s?.close();
  });

  it('answers 401 TOKEN_EXPIRED_ERR for a token past its exp', async () => {
    const token = await tokenFor(s.iam.url, s.suite.adminApiKey);
    expect(decodeJwt(token).exp as number).toBeLessThan(Date.now() / 1000);
    const response = await call(s.iam.url, token, 'GET', '/v1/apikeys');
    expect(response.status).toBe(401);
    expect(response.body?.['errorCode']).toBe('TOKEN_EXPIRED_ERR');
  });
});
