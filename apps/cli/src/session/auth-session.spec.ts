import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from '../cli-error';
import type { StoredSession } from '../config/session-store';
import { testContext } from '../testing/test-context';
import { AuthSession } from './auth-session';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A stand-in for IAM: a token endpoint and one API route, each answering as the test says. */
async function fakeIam(answers: {
  token: (form: URLSearchParams) => [number, unknown];
  api: (seen: Seen) => [number, unknown];
}): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      seen.push(entry);
      const [status, answer] = req.url === '/identity/token' ? answers.token(new URLSearchParams(body)) : answers.api(entry);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(answer === undefined ? '' : JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const iamError = (code: string) => ({ errorCode: code, errorMessage: `message for ${code}`, context: { requestId: 'iam-req-1' } });
const now = 1_800_000_000;

describe('AuthSession', () => {
  let dir: string;
  let server: Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-session-'));
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  function start(iamUrl: string, change: Partial<StoredSession> = {}) {
    const context = testContext({ KEYWARD_CONFIG_DIR: dir }, { now: () => now * 1000 });
    const session = AuthSession.start(context, {
      version: 1,
      iamUrl,
      endpoints: {},
      apiKey: 'kw_the-api-key-000000000000000000',
      accessToken: 'access-1',
      refreshToken: 'refresh-1',
      expiration: now + 3600,
      user: { iamId: 'IBMid-1', name: 'admin', accountId: 'a'.repeat(32), type: 'user' },
      target: {},
      ...change,
    });
    return { context, session };
  }

  const stored = () => JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as StoredSession;

  it('sends the bearer token and a request id, and renews a token about to expire with the refresh token first', async () => {
    const iam = await fakeIam({
      token: (form) => (form.get('refresh_token') === 'refresh-1' ? [200, { access_token: 'access-2', refresh_token: 'refresh-2', expiration: now + 3600 }] : [400, iamError('INVALID_GRANT_ERR')]),
      api: () => [200, { ok: true }],
    });
    server = iam.server;
    const { session } = start(iam.url, { expiration: now + 30 });
    const answer = await session.call('iam', { method: 'GET', path: '/v1/apikeys' });
    expect(answer.body).toEqual({ ok: true });
    const apiCall = iam.seen.find((s) => s.path === '/v1/apikeys');
    expect(apiCall?.headers['authorization']).toBe('Bearer access-2');
    expect(apiCall?.headers['x-request-id']).toMatch(/^keyward-cli-[0-9a-f-]{36}$/);
    expect(stored()).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2', expiration: now + 3600 });
  });

  it('on 401 TOKEN_EXPIRED_ERR it renews once and retries; the API key is used when the refresh token is refused', async () => {
    const iam = await fakeIam({
      token: (form) =>
        form.get('apikey') === 'kw_the-api-key-000000000000000000' ? [200, { access_token: 'access-3', refresh_token: 'refresh-3', expiration: now + 3600 }] : [400, iamError('INVALID_GRANT_ERR')],
      api: (seen) => (seen.headers['authorization'] === 'Bearer access-3' ? [200, { ok: 'retried' }] : [401, iamError('TOKEN_EXPIRED_ERR')]),
    });
    server = iam.server;
    const { session } = start(iam.url);
    await expect(session.call('iam', { method: 'GET', path: '/v1/apikeys' })).resolves.toMatchObject({ body: { ok: 'retried' } });
    expect(iam.seen.filter((s) => s.path === '/identity/token').map((s) => new URLSearchParams(s.body).get('grant_type'))).toEqual([
      'refresh_token',
      'urn:ibm:params:oauth:grant-type:apikey',
    ]);
    expect(stored().refreshToken).toBe('refresh-3');
  });

  it('when nothing renews the session it is exit 3 telling the user to log in, and no secret is in the message', async () => {
    const iam = await fakeIam({ token: () => [400, iamError('BXNIM0415E')], api: () => [401, iamError('TOKEN_INVALID_ERR')] });
    server = iam.server;
    const { session } = start(iam.url);
    const error = await session.call('iam', { method: 'GET', path: '/v1/apikeys' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.auth);
    expect((error as CliError).hint).toContain('keyward login');
    const text = `${(error as CliError).message} ${(error as CliError).hint}`;
    for (const secret of ['kw_the-api-key', 'access-1', 'refresh-1']) expect(text).not.toContain(secret);
  });

  it('a retry that is still refused for its token is exit 3; a refusal of the identity is exit 4 with what to ask for', async () => {
    let calls = 0;
    const iam = await fakeIam({
      token: () => [200, { access_token: 'access-n', refresh_token: 'refresh-n', expiration: now + 3600 }],
      api: () => {
        calls += 1;
        return calls <= 2 ? [401, iamError('TOKEN_INVALID_ERR')] : [401, iamError('UNAUTHORIZED_ERR')];
      },
    });
    server = iam.server;
    const { session } = start(iam.url);
    await expect(session.call('iam', { method: 'GET', path: '/x' })).rejects.toMatchObject({ exitCode: EXIT.auth, code: 'TOKEN_INVALID_ERR' });
    const refused = (await session.call('iam', { method: 'GET', path: '/x' }).catch((e: unknown) => e)) as CliError;
    expect(refused).toMatchObject({ exitCode: EXIT.refused, code: 'UNAUTHORIZED_ERR' });
    expect(refused.hint).toContain('access policy');
  });

  it('a 5xx is exit 5 with the request id; a 404 is exit 4 with the hint given', async () => {
    const iam = await fakeIam({
      token: () => [500, {}],
      api: (seen) => (seen.path === '/missing' ? [404, iamError('INSTANCE_NOT_FOUND_ERR')] : [503, iamError('SERVICE_UNAVAILABLE_ERR')]),
    });
    server = iam.server;
    const { session } = start(iam.url);
    await expect(session.call('iam', { method: 'GET', path: '/down' })).rejects.toMatchObject({ exitCode: EXIT.unavailable, requestId: 'iam-req-1', message: expect.stringContaining('request id iam-req-1') });
    await expect(session.call('iam', { method: 'GET', path: '/missing' }, { notFoundHint: 'List them with X' })).rejects.toMatchObject({ exitCode: EXIT.refused, hint: 'List them with X' });
  });

  it('an unreachable service is exit 5', async () => {
    const { session } = start('http://127.0.0.1:1');
    await expect(session.call('iam', { method: 'GET', path: '/v1/apikeys' })).rejects.toMatchObject({ exitCode: EXIT.unavailable, message: expect.stringContaining('Cannot reach iam') });
  });
});
