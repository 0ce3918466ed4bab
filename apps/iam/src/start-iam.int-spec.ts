import { connect, headers, type NatsConnection, StringCodec } from 'nats';
import { IAM_SUBJECTS } from '@keyward/contracts';
import { ConfigError, type RunningService } from '@keyward/platform';
import { type SuiteContext, createSuiteContext, readTestEnvironment } from '@keyward/testing';
import { startIam } from './start-iam';

describe('IAM on real Postgres and NATS', () => {
  let suite: SuiteContext;
  let iam: RunningService;
  let nats: NatsConnection;
  const codec = StringCodec();

  beforeAll(async () => {
    suite = await createSuiteContext(['iam']);
    iam = await startIam(suite.envFor('iam'));
    nats = await connect({ servers: readTestEnvironment().natsUrl });
  });

  afterAll(async () => {
    await nats?.close();
    await iam?.close();
    await suite?.dispose();
  });

  it('is healthy with its database and NATS', async () => {
    const response = await fetch(`${iam.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { nats: { status: 'ok' }, database: { status: 'ok' } } });
  });

  it('answers rpc.iam.ping.v1 under the suite prefix, in the Nest NATS wire format', async () => {
    const h = headers();
    h.set('x-request-id', 'raw-ping-1');
    const message = await nats.request(
      `${suite.prefix}.${IAM_SUBJECTS.ping}`,
      codec.encode(JSON.stringify({ pattern: IAM_SUBJECTS.ping, data: {}, id: 'call-1' })),
      { timeout: 2000, headers: h },
    );
    expect(JSON.parse(codec.decode(message.data))).toEqual({
      id: 'call-1',
      isDisposed: true,
      response: { service: 'iam', replicaId: expect.stringMatching(/^iam-/), requestId: 'raw-ping-1' },
    });
  });

  it('does not answer the unprefixed subject (suites stay apart)', async () => {
    await expect(
      nats.request(IAM_SUBJECTS.ping, codec.encode(JSON.stringify({ pattern: IAM_SUBJECTS.ping, data: {}, id: 'x' })), { timeout: 500 }),
    ).rejects.toThrow();
  });

  it('answers HTTP errors in the IBM IAM format with the request id', async () => {
    const response = await fetch(`${iam.url}/identity/nowhere`, { headers: { 'x-request-id': 'iam-404' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('iam-404');
    expect(await response.json()).toEqual({
      errorCode: 'NOT_FOUND_ERR',
      errorMessage: 'The requested resource does not exist',
      context: { requestId: 'iam-404' },
    });
  });

  it('refuses to start without the admin API key, naming the variable', async () => {
    const env = { ...suite.envFor('iam'), KEYWARD_ADMIN_APIKEY: undefined };
    await expect(startIam(env)).rejects.toThrow(ConfigError);
    await expect(startIam(env)).rejects.toThrow(/KEYWARD_ADMIN_APIKEY: is required but not set/);
  });
});
