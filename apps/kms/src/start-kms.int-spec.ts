import { DomainError, HSM_SUBJECTS, IAM_SUBJECTS, type HealthReport, pingResponseSchema } from '@keyward/contracts';
import { NatsConnectionHolder, RpcClient, type RunningService, SubjectNamespace, requestContext } from '@keyward/platform';
import { type SuiteContext, createCapturingLogger, createSuiteContext, expectEventually } from '@keyward/testing';
import { startHsm } from '../../hsm/src/start-hsm';
import { startIam } from '../../iam/src/start-iam';
import { startKms } from './start-kms';

// The KMS with its two peers, in-process, on real Postgres and NATS under this suite's prefix.
describe('KMS with HSM and IAM over NATS', () => {
  let suite: SuiteContext;
  let kms: RunningService;
  let iam: RunningService;
  let hsm: RunningService | undefined;
  const hsmLog = createCapturingLogger('hsm');

  const kmsHealth = async (): Promise<{ status: number; body: HealthReport }> => {
    const response = await fetch(`${kms.url}/health`);
    return { status: response.status, body: (await response.json()) as HealthReport };
  };

  beforeAll(async () => {
    suite = await createSuiteContext(['iam', 'kms', 'hsm']);
    [iam, hsm, kms] = await Promise.all([
      startIam(suite.envFor('iam')),
      startHsm(suite.envFor('hsm', { LOG_LEVEL: 'debug' }), { logger: hsmLog.logger }),
      startKms(suite.envFor('kms')),
    ]);
  });

  afterAll(async () => {
    await Promise.all([kms?.close(), iam?.close(), hsm?.close()]);
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
      const line = hsmLog.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['requestId'] === 'req-across-nats');
      expect(line).toBeDefined();
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
    await hsm?.close();
    hsm = undefined;
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
