import { DomainError, HSM_SUBJECTS, IAM_SUBJECTS, type HealthReport, pingResponseSchema } from '@keyward/contracts';
import { NatsConnectionHolder, RpcClient, type RunningService, SubjectNamespace, requestContext } from '@keyward/platform';
import { type LaunchedService, type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, createSuiteContext, expectEventually, repoRoot } from '@keyward/testing';
import { startKms } from './start-kms';

// The KMS in-process, its two peers as their built processes (apps never import apps), all on real
// Postgres and NATS under this suite's prefix.
describe('KMS with HSM and IAM over NATS', () => {
  let suite: SuiteContext;
  let kms: RunningService;
  let peers: RunningStack;
  const hsmLines: string[] = [];
  const peer = (app: 'hsm' | 'iam'): LaunchedService => peers.services.find((s) => s.app === app)!;

  const kmsHealth = async (): Promise<{ status: number; body: HealthReport }> => {
    const response = await fetch(`${kms.url}/health`);
    return { status: response.status, body: (await response.json()) as HealthReport };
  };

  beforeAll(async () => {
    suite = await createSuiteContext(['iam', 'kms', 'hsm']);
    peers = await startStack({
      root: repoRoot(),
      apps: ['iam', 'hsm'],
      env: { PATH: process.env['PATH'], ...suite.envFor('hsm', { LOG_LEVEL: 'debug' }), DATABASE_URL: undefined },
      perAppEnv: (app) => ({ DATABASE_URL: suite.databases[app]?.url }),
      ports: { iam: await findFreePort(), hsm: await findFreePort() },
      onOutput: (app, line) => app === 'hsm' && hsmLines.push(line),
    });
    kms = await startKms(suite.envFor('kms'));
  });

  afterAll(async () => {
    await kms?.close();
    await peers?.stop();
    await suite?.dispose();
  });

  it('reports the HSM and IAM reachable through rpc.hsm.ping.v1 and rpc.iam.ping.v1', async () => {
    const { status, body } = await kmsHealth();
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      checks: {
        nats: { status: 'ok' },
        database: { status: 'ok' },
        hsm: { status: 'ok', detail: expect.stringMatching(/^replica hsm-/) },
        iam: { status: 'ok', detail: expect.stringMatching(/^replica iam-/) },
      },
    });
  });

  it('carries the request id across the NATS hop, into the responder and its logs', async () => {
    const rpc = kms.app.get(RpcClient);
    const reply = await requestContext.run({ requestId: 'req-across-nats' }, () =>
      rpc.request(HSM_SUBJECTS.ping, {}, { response: pingResponseSchema }),
    );
    expect(reply).toMatchObject({ service: 'hsm', requestId: 'req-across-nats' });
    const iamReply = await requestContext.run({ requestId: 'req-to-iam' }, () =>
      rpc.request(IAM_SUBJECTS.ping, {}, { response: pingResponseSchema }),
    );
    expect(iamReply).toMatchObject({ service: 'iam', requestId: 'req-to-iam' });
    await expectEventually(() => {
      const line = hsmLines.find((l) => l.includes('"requestId":"req-across-nats"'));
      expect(line).toContain('"msg":"rpc handled"');
    });
  });

  it('gets a user mistake back across NATS as the same coded error, not an internal one', async () => {
    const rpc = kms.app.get(RpcClient);
    const failure = rpc.request(HSM_SUBJECTS.ping, { unexpected: true }, { response: pingResponseSchema });
    await expect(failure).rejects.toBeInstanceOf(DomainError);
    await expect(failure).rejects.toMatchObject({ code: 'BAD_BODY_ERR', status: 400 });
  });

  it('creates its event stream under the suite prefix, capturing only events subjects', async () => {
    const manager = await kms.app.get(NatsConnectionHolder).get().jetstreamManager();
    const namespace = kms.app.get(SubjectNamespace);
    const info = await manager.streams.info(namespace.stream('KMS_EVENTS'));
    expect(info.config.subjects).toEqual([namespace.subject('events.kms.>')]);
    for await (const stream of manager.streams.list()) {
      for (const subject of stream.config.subjects ?? []) {
        expect(subject).not.toMatch(/(^|\.)(rpc|_INBOX)(\.|$)|^>$/);
      }
    }
  });

  it('is degraded, not down, while the HSM is away; "no responders" maps to a chosen code', async () => {
    const hsm = peer('hsm').process;
    await new Promise((resolve) => {
      hsm.once('exit', resolve);
      hsm.kill('SIGTERM');
    });
    const { status, body } = await kmsHealth();
    expect(status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.checks['hsm']).toMatchObject({ status: 'down', detail: expect.stringContaining('No service is listening') });
    expect(body.checks['iam']).toEqual(expect.objectContaining({ status: 'ok' }));

    const rpc = kms.app.get(RpcClient);
    const started = Date.now();
    await expect(
      rpc.request(HSM_SUBJECTS.domainOp('platform', 'wrap'), {}, { response: pingResponseSchema, noRespondersCode: 'DOMAIN_SEALED_ERR' }),
    ).rejects.toMatchObject({ code: 'DOMAIN_SEALED_ERR', status: 409 });
    // No responders is answered by the server at once, not by waiting for the timeout.
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
