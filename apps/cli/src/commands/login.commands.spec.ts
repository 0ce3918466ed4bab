import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../program';
import { testContext } from '../testing/test-context';

const account = 'b'.repeat(32);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned token with IAM's claims: the CLI only reads claims, the services verify signatures. */
const token = (n: number) => `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iam_id: 'IBMid-7', sub: 'alice', sub_type: 'user', account: { bss: account }, iat: 1, exp: 2, n })}.c2ln`;

describe('keyward login (in-process, against a stand-in IAM)', () => {
  let server: Server;
  let url: string;
  let dir: string;
  const keysSeen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/v1/endpoints') {
          res.end(JSON.stringify({ endpoints: [{ app: 'kms', service_names: ['kms', 'hs-crypto'], url: 'http://kms.example:8102' }] }));
          return;
        }
        const key = new URLSearchParams(body).get('apikey') ?? '';
        keysSeen.push(key);
        if (key !== 'kw_good-key-00000000000000000000') {
          res.statusCode = 400;
          res.end(JSON.stringify({ errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found', context: { requestId: 'r' } }));
          return;
        }
        res.end(JSON.stringify({ access_token: token(keysSeen.length), refresh_token: 'refresh-secret', expiration: 4_000_000_000, expires_in: 3600 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-login-'));
    keysSeen.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('asks for the key at a hidden prompt when there is a terminal, and stores the session', async () => {
    const questions: string[] = [];
    const ctx = testContext(
      { KEYWARD_CONFIG_DIR: dir },
      {
        interactive: true,
        promptSecret: (question) => {
          questions.push(question);
          return Promise.resolve('kw_good-key-00000000000000000000');
        },
      },
    );
    expect(await runCli(['login', '--endpoint', url], ctx)).toBe(0);
    expect(questions).toEqual(['API key: ']);
    const stored = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ iamUrl: url, endpoints: { kms: 'http://kms.example:8102' }, user: { iamId: 'IBMid-7', name: 'alice', accountId: account } });
    const printed = [...ctx.stdout, ...ctx.stderr].join('\n');
    expect(printed).toContain('alice (IBMid-7)');
    for (const secret of ['kw_good-key', 'refresh-secret', stored['accessToken'] as string]) expect(printed).not.toContain(secret);
  });

  it('--apikey wins over KEYWARD_APIKEY, which wins over the prompt', async () => {
    const prompted = jest.fn(() => Promise.resolve('kw_from-prompt'));
    const ctx = testContext({ KEYWARD_CONFIG_DIR: dir, KEYWARD_APIKEY: 'kw_good-key-00000000000000000000' }, { interactive: true, promptSecret: prompted });
    expect(await runCli(['login', '--endpoint', url], ctx)).toBe(0);
    expect(prompted).not.toHaveBeenCalled();
    const flagged = testContext({ KEYWARD_CONFIG_DIR: dir, KEYWARD_APIKEY: 'kw_good-key-00000000000000000000' });
    expect(await runCli(['login', '--endpoint', url, '--apikey', 'kw_wrong-key'], flagged)).toBe(3);
    expect(keysSeen).toEqual(['kw_good-key-00000000000000000000', 'kw_wrong-key']);
    expect(flagged.stderr.join('\n')).not.toContain('kw_wrong-key');
  });

  it('a malformed endpoint is a usage error; a server that is not IAM is exit 5', async () => {
    const bad = testContext({ KEYWARD_CONFIG_DIR: dir, KEYWARD_APIKEY: 'x' });
    expect(await runCli(['login', '--endpoint', 'not a url'], bad)).toBe(2);
    const notIam = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"hello":"world"}');
    });
    await new Promise<void>((resolve) => notIam.listen(0, '127.0.0.1', resolve));
    const ctx = testContext({ KEYWARD_CONFIG_DIR: dir, KEYWARD_APIKEY: 'x' });
    expect(await runCli(['login', '--endpoint', `http://127.0.0.1:${(notIam.address() as AddressInfo).port}`], ctx)).toBe(5);
    expect(ctx.stderr.join('\n')).toContain("did not answer with Keyward's endpoint catalog");
    await new Promise((resolve) => notIam.close(resolve));
  });
});
