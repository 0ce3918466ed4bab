import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { runCli } from '../../program';
import { type FakeAnswer, type SeenRequest, fakeService } from '../../testing/fake-service';
import { testContext } from '../../testing/test-context';

describe('keyward iam account-create and user-create (in-process, against a stand-in IAM)', () => {
  let service: Awaited<ReturnType<typeof fakeService>>;
  let answer: (request: SeenRequest) => FakeAnswer;

  beforeAll(async () => {
    service = await fakeService((request) => answer(request));
  });
  afterAll(async () => {
    await service.close();
    rmSync(dirname(service.configDir), { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    const ctx = testContext({ KEYWARD_CONFIG_DIR: service.configDir });
    const code = await runCli(args, ctx);
    return { code, out: ctx.stdout.join('\n'), err: ctx.stderr.join('\n') };
  };

  it('creates an account, then an administrator in it', async () => {
    const account = 'c'.repeat(32);
    answer = (request) =>
      request.url === '/v1/accounts'
        ? { status: 201, body: { id: account, name: 'demo', default_resource_group_id: 'g1' } }
        : { status: 201, body: { iam_id: 'IBMid-9', name: 'boss', account_id: account, created_at: 'now' } };
    const created = await run(['iam', 'account-create', 'demo']);
    expect(created.out).toMatch(new RegExp(`Account:\\s+${account}`));
    expect(created.err).toContain(`keyward iam user-create <name> --account-id ${account} --administrator`);
    const user = await run(['iam', 'user-create', 'boss', '--account-id', account, '--administrator', '--output', 'json']);
    expect(JSON.parse(user.out)).toMatchObject({ iam_id: 'IBMid-9' });
    expect(service.seen.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', '/v1/accounts', { name: 'demo' }],
      ['POST', '/v1/users', { name: 'boss', account_id: account, administrator: true }],
    ]);
  });

  it('shows a refusal (only the operator creates accounts) as exit 4', async () => {
    answer = () => ({ status: 403, body: { errorCode: 'UNAUTHORIZED_ERR', errorMessage: 'You are not authorized', trace: 't' } });
    const result = await run(['iam', 'account-create', 'demo']);
    expect(result.code).toBe(4);
  });
});
