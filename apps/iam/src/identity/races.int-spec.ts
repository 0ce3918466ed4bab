import { type IamSuite, call, startIamSuite, tokenFor } from '../test-support/iam-suite';

const CONCURRENT = 8;

/** Concurrent requests that race on a unique name or on a deletion get a 4xx, never a 500. */
describe('IAM under concurrent identical requests', () => {
  let s: IamSuite;
  let admin: string;

  beforeAll(async () => {
    s = await startIamSuite();
    admin = await tokenFor(s.iam.url, s.suite.adminApiKey);
  });

  afterAll(async () => {
    await s?.close();
  });

  const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort();
  const all = <T>(make: () => Promise<T>) => Promise.all(Array.from({ length: CONCURRENT }, make));

  it.each([
    ['users', '/v1/users', { name: 'same-user' }],
    ['service IDs', '/v1/serviceids', { name: 'same-robot' }],
    ['resource groups', '/v2/resource_groups', { name: 'same-group' }],
  ])('creates one of several same-name %s and answers 409 to the others', async (_what, path, body) => {
    const responses = await all(() => call(s.iam.url, admin, 'POST', path, body));
    expect(statuses(responses)).toEqual([201, ...Array.from({ length: CONCURRENT - 1 }, () => 409)]);
    expect(responses.filter((r) => r.status === 409).every((r) => r.body?.['errorCode'] === 'CONFLICT_ERR')).toBe(true);
  });

  it('deletes an API key once and answers 404 to concurrent deletes and disables', async () => {
    const user = await call(s.iam.url, admin, 'POST', '/v1/users', { name: 'key-owner' });
    const key = await call(s.iam.url, admin, 'POST', '/v1/apikeys', { name: 'k', iam_id: user.body?.['iam_id'] });
    const id = key.body?.['id'] as string;
    const responses = await Promise.all([
      ...Array.from({ length: CONCURRENT / 2 }, () => call(s.iam.url, admin, 'DELETE', `/v1/apikeys/${id}`)),
      ...Array.from({ length: CONCURRENT / 2 }, () => call(s.iam.url, admin, 'POST', `/v1/apikeys/${id}/disable`)),
    ]);
    const codes = responses.map((r) => r.status);
    expect(codes.filter((c) => c >= 500)).toEqual([]);
    const deletes = codes.slice(0, CONCURRENT / 2);
    expect(deletes.filter((c) => c === 204)).toHaveLength(1);
    expect(deletes.filter((c) => c === 404)).toHaveLength(CONCURRENT / 2 - 1);
    expect(codes.every((c) => c === 204 || c === 404)).toBe(true);
    expect(responses.filter((r) => r.status === 404).every((r) => r.body?.['errorCode'] === 'APIKEY_NOT_FOUND_ERR')).toBe(true);
    expect((await call(s.iam.url, admin, 'GET', `/v1/apikeys/${id}`)).status).toBe(404);
  });
});
