import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { runCli } from '../../program';
import { type FakeAnswer, type SeenRequest, fakeService } from '../../testing/fake-service';
import { testContext } from '../../testing/test-context';

const INSTANCE = '11111111-2222-4333-8444-555555555555';
const KEY = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const keyResource = { id: KEY, name: 'k', state: 1, extractable: false, imported: true, creationDate: '2026-01-01T00:00:00Z' };
const envelope = (resources: unknown[]) => ({ metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: resources.length }, resources });

describe('keyward kp (in-process, against a stand-in KMS)', () => {
  let kms: Awaited<ReturnType<typeof fakeService>>;
  let answer: (request: SeenRequest) => FakeAnswer;

  beforeAll(async () => {
    kms = await fakeService((request) => answer(request));
  });
  afterAll(async () => {
    await kms.close();
    rmSync(dirname(kms.configDir), { recursive: true, force: true });
  });
  beforeEach(() => {
    kms.seen.length = 0;
    answer = () => ({ status: 200, body: envelope([keyResource]) });
  });
  const run = async (args: string[], overrides = {}) => {
    const ctx = testContext({ KEYWARD_CONFIG_DIR: kms.configDir }, overrides);
    const code = await runCli(args, ctx);
    return { code, out: ctx.stdout.join('\n'), err: ctx.stderr.join('\n') };
  };

  it('imports a root key: the Key Protect envelope, Bluemix-Instance and the bearer token, and no material in the output', async () => {
    const material = Buffer.alloc(32, 7).toString('base64');
    answer = () => ({ status: 201, body: envelope([keyResource]) });
    const result = await run(['kp', 'key', 'create', 'k', '-i', INSTANCE, '-k', material, '-D', 'desc']);
    expect(result.code).toBe(0);
    expect(kms.seen[0]).toMatchObject({
      method: 'POST',
      url: '/api/v2/keys',
      headers: { 'bluemix-instance': INSTANCE, authorization: 'Bearer access-token-secret', prefer: 'return=representation' },
      body: envelope([{ type: 'application/vnd.ibm.kms.key+json', name: 'k', extractable: false, description: 'desc', payload: material }]),
    });
    expect(result.out).toMatch(/Imported:\s+true/);
    expect(result.out + result.err).not.toContain(material);
  });

  it('lists with limit, offset and states; wraps with AAD; sends rotate, disable, enable, versions, delete, restore and purge where Key Protect expects them', async () => {
    expect((await run(['kp', 'keys', '-i', INSTANCE, '-n', '5', '-s', '10', '-e', 'active,destroyed'])).code).toBe(0);
    expect(kms.seen[0]?.url).toBe('/api/v2/keys?limit=5&offset=10&state=1%2C5');
    answer = () => ({ status: 200, body: { ciphertext: 'Y2lwaGVy', keyVersion: { id: 'v1' } } });
    expect((await run(['kp', 'key', 'wrap', KEY, '-i', INSTANCE, '-p', 'QUJD', '-a', 'x,y'])).code).toBe(0);
    expect(kms.seen[1]).toMatchObject({ method: 'POST', url: `/api/v2/keys/${KEY}/actions/wrap`, body: { plaintext: 'QUJD', aad: ['x', 'y'] } });
    answer = () => ({ status: 204 });
    for (const action of ['rotate', 'disable', 'enable']) expect((await run(['kp', 'key', action, KEY, '-i', INSTANCE])).code).toBe(0);
    expect(kms.seen.slice(2).map((r) => `${r.method} ${r.url}`)).toEqual(['rotate', 'disable', 'enable'].map((a) => `POST /api/v2/keys/${KEY}/actions/${a}`));
    expect(kms.seen[2]?.body).toEqual({});
    kms.seen.length = 0;
    expect((await run(['kp', 'key', 'delete', KEY, '-i', INSTANCE, '-f'])).code).toBe(0);
    expect((await run(['kp', 'key', 'purge', KEY, '-i', INSTANCE, '-f'])).code).toBe(0);
    answer = () => ({ status: 201, body: envelope([keyResource]) });
    expect((await run(['kp', 'key', 'restore', KEY, '-i', INSTANCE])).code).toBe(0);
    answer = () => ({ status: 200, body: { resources: [{ id: 'v2' }, { id: 'v1' }] } });
    expect((await run(['kp', 'key', 'versions', KEY, '-i', INSTANCE, '--all-key-states'])).out).toMatch(/^VERSION ID\s+CREATED\nv2\nv1$/m);
    expect(kms.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      `DELETE /api/v2/keys/${KEY}`,
      `DELETE /api/v2/keys/${KEY}/purge`,
      `POST /api/v2/keys/${KEY}/restore`,
      `GET /api/v2/keys/${KEY}/versions?allKeyStates=true`,
    ]);
  });

  it('asks before a delete at a terminal and deletes nothing when declined (exit 1)', async () => {
    const questions: string[] = [];
    const result = await run(['kp', 'key', 'delete', KEY, '-i', INSTANCE], { interactive: true, confirm: (q: string) => (questions.push(q), Promise.resolve(false)) });
    expect(result.code).toBe(1);
    expect(questions[0]).toContain(KEY);
    expect(kms.seen).toEqual([]);
  });

  it("turns the KMS's refusals into exit codes and next steps", async () => {
    const kpError = (status: number, code: string) => () => ({ status, body: { metadata: { collectionType: 'application/vnd.ibm.kms.error+json', collectionTotal: 1 }, resources: [{ errorMsg: code, reasons: [{ code, message: 'refused', status }] }] } });
    answer = kpError(409, 'DOMAIN_SEALED_ERR');
    const sealed = await run(['kp', 'key', 'wrap', KEY, '-i', INSTANCE]);
    expect(sealed).toMatchObject({ code: 4, out: '' });
    expect(sealed.err).toContain('keyward hpcs unseal');
    expect(sealed.err).not.toContain('--roles');
    answer = kpError(404, 'KEY_NOT_FOUND_ERR');
    expect((await run(['kp', 'key', 'show', KEY, '-i', INSTANCE])).err).toContain(`keyward kp keys -i ${INSTANCE}`);
    answer = kpError(503, 'SERVER_ERR');
    expect((await run(['kp', 'keys', '-i', INSTANCE])).code).toBe(5);
  });

  it('on UNAUTHORIZED_ERR (a bad token or a missing role, the KMS does not say which) renews once and retries: exit 4 with the role to ask for, or 3 when the session has ended', async () => {
    const refusal = { status: 401, body: { resources: [{ errorMsg: 'Unauthorized', reasons: [{ code: 'UNAUTHORIZED_ERR', message: 'Unauthorized', status: 401 }] }] } };
    answer = (request) => (request.url === '/identity/token' ? { status: 200, body: { access_token: 'renewed-token', refresh_token: 'refresh-token-secret', expires_in: 3600 } } : refusal);
    const denied = await run(['kp', 'keys', '-i', INSTANCE]);
    expect(denied.code).toBe(4);
    expect(denied.err).toContain('--roles Manager');
    expect(kms.seen.map((r) => `${r.url} ${r.headers.authorization ?? ''}`)).toEqual(['/api/v2/keys Bearer access-token-secret', '/identity/token ', '/api/v2/keys Bearer renewed-token']);
    kms.seen.length = 0;
    answer = (request) => (request.url === '/identity/token' ? { status: 400, body: { errorCode: 'BXNIM0407E', errorMessage: 'refused' } } : refusal);
    const ended = await run(['kp', 'keys', '-i', INSTANCE]);
    expect(ended.code).toBe(3);
    expect(ended.err).toContain('keyward login');
  });
});
