import { type IamSuite, accountOfToken, call, startIamSuite, tokenFor } from '../test-support/iam-suite';

const APIKEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';

async function grant(url: string, apikey: string) {
  const response = await fetch(`${url}/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: APIKEY_GRANT, apikey }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

describe('IAM identities and API keys', () => {
  let s: IamSuite;
  let admin: string;

  beforeAll(async () => {
    s = await startIamSuite();
    admin = await tokenFor(s.iam.url, s.suite.adminApiKey);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('shows a new API key once, lists it without the secret, and disables, enables and deletes it', async () => {
    const sid = await call(s.iam.url, admin, 'POST', '/v1/serviceids', { name: 'ci-robot' });
    expect(sid.status).toBe(201);
    expect(sid.body).toMatchObject({ iam_id: expect.stringMatching(/^iam-ServiceId-/), type: 'ServiceId', name: 'ci-robot', account_id: accountOfToken(admin) });
    expect((await call(s.iam.url, admin, 'POST', '/v1/serviceids', { name: 'ci-robot' })).status).toBe(409);

    const created = await call(s.iam.url, admin, 'POST', '/v1/apikeys', { name: 'robot-key', iam_id: sid.body?.['iam_id'] });
    expect(created.status).toBe(201);
    const apikey = created.body?.['apikey'] as string;
    const id = created.body?.['id'] as string;
    expect(apikey).toMatch(/^kw_[A-Za-z0-9_-]{43}$/);

    const listed = await call(s.iam.url, admin, 'GET', `/v1/apikeys?iam_id=${sid.body?.['iam_id'] as string}`);
    expect(listed.body).toEqual({ apikeys: [{ id, name: 'robot-key', iam_id: sid.body?.['iam_id'], account_id: accountOfToken(admin), disabled: false, created_at: expect.any(String) }] });
    expect(JSON.stringify((await call(s.iam.url, admin, 'GET', `/v1/apikeys/${id}`)).body)).not.toContain(apikey);

    const robot = await grant(s.iam.url, apikey);
    expect(robot.status).toBe(200);
    // The robot sees its own keys.
    expect((await call(s.iam.url, robot.body['access_token'], 'GET', '/v1/apikeys')).body?.['apikeys']).toHaveLength(1);

    expect((await call(s.iam.url, admin, 'POST', `/v1/apikeys/${id}/disable`)).status).toBe(204);
    expect((await grant(s.iam.url, apikey)).body['errorCode']).toBe('BXNIM0415E');
    expect((await call(s.iam.url, admin, 'GET', `/v1/apikeys/${id}`)).body?.['disabled']).toBe(true);
    expect((await call(s.iam.url, admin, 'DELETE', `/v1/apikeys/${id}/disable`)).status).toBe(204);
    expect((await grant(s.iam.url, apikey)).status).toBe(200);

    expect((await call(s.iam.url, admin, 'DELETE', `/v1/apikeys/${id}`)).status).toBe(204);
    expect((await grant(s.iam.url, apikey)).body['errorCode']).toBe('BXNIM0415E');
    expect((await call(s.iam.url, admin, 'GET', `/v1/apikeys/${id}`)).status).toBe(404);
  });

  it('keeps other identities’ keys out of reach and lets only the operator create accounts', async () => {
    const user = await call(s.iam.url, admin, 'POST', '/v1/users', { name: 'dave' });
    const key = await call(s.iam.url, admin, 'POST', '/v1/apikeys', { name: 'k', iam_id: user.body?.['iam_id'] });
    const dave = await tokenFor(s.iam.url, key.body?.['apikey'] as string);
    const adminKeys = await call(s.iam.url, admin, 'GET', '/v1/apikeys');
    const adminKeyId = (adminKeys.body?.['apikeys'] as { id: string }[])[0]?.id as string;
    expect((await call(s.iam.url, dave, 'GET', `/v1/apikeys/${adminKeyId}`)).status).toBe(404);
    expect((await call(s.iam.url, dave, 'DELETE', `/v1/apikeys/${adminKeyId}`)).status).toBe(404);
    expect((await call(s.iam.url, dave, 'POST', '/v1/apikeys', { name: 'x', iam_id: (adminKeys.body?.['apikeys'] as { iam_id: string }[])[0]?.iam_id })).status).toBe(404);
    expect((await call(s.iam.url, dave, 'POST', '/v1/users', { name: 'eve' })).status).toBe(401);
    expect((await call(s.iam.url, dave, 'POST', '/v1/accounts', { name: 'mine' })).status).toBe(401);
    expect((await grant(s.iam.url, s.suite.adminApiKey)).status).toBe(200);
  });

  it('makes an administrator of a new account who can manage it, and only it', async () => {
    const account = await call(s.iam.url, admin, 'POST', '/v1/accounts', { name: 'tenant-b' });
    const accountId = account.body?.['id'] as string;
    const boss = await call(s.iam.url, admin, 'POST', '/v1/users', { name: 'boss', account_id: accountId, administrator: true });
    expect(boss.status).toBe(201);
    const key = await call(s.iam.url, admin, 'POST', '/v1/apikeys', { name: 'k', iam_id: boss.body?.['iam_id'] });
    const token = await tokenFor(s.iam.url, key.body?.['apikey'] as string);
    expect(accountOfToken(token)).toBe(accountId);
    expect((await call(s.iam.url, token, 'POST', '/v2/resource_instances', { name: 'k', service: 'kms', plan: 'lite', target: 'eu-de' })).status).toBe(201);
    expect((await call(s.iam.url, token, 'GET', `/v1/policies?account_id=${accountId}`)).status).toBe(200);
    expect((await call(s.iam.url, token, 'GET', `/v1/policies?account_id=${accountOfToken(admin)}`)).status).toBe(401);
    expect((await call(s.iam.url, admin, 'POST', '/v1/users', { name: 'x', account_id: 'f'.repeat(32) })).status).toBe(404);
    expect((await call(s.iam.url, admin, 'POST', '/v1/users', { name: 'bad/name' })).status).toBe(400);
  });
});
