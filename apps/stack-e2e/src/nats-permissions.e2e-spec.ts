import { randomBytes } from 'node:crypto';
import { type NatsConnection, type NatsError, connect, JSONCodec } from 'nats';
import {
  HSM_SUBJECTS,
  IAM_EVENT_SUBJECTS,
  KEYWARD_APPS,
  type HealthReport,
  type KeywardAppName,
  natsInboxPrefix,
  natsPasswordEnvName,
  subjectMatches,
} from '@keyward/contracts';
import { type RunningStack, findFreePort, renderNatsServerConfig, startStack } from '@keyward/stack';
import { type NatsServerProcess, type SuiteContext, createSuiteContext, expectEventually, repoRoot, startNatsServer } from '@keyward/testing';

// The generated NATS permissions, enforced by a real nats-server of this suite's own: the built apps
// run under their own NATS users, and raw connections try what each user must not do.
const APPS: readonly KeywardAppName[] = ['iam', 'hsm', 'kms', 'app-configuration'];
const CONSUMER: KeywardAppName = 'app-configuration';

describe('NATS permissions generated from the subject table', () => {
  // Letters and digits, starting with a letter: nats-server parses a variable's value as a config value.
  const passwords = Object.fromEntries(
    Object.keys(KEYWARD_APPS).map((app) => [app, `kw${randomBytes(18).toString('hex')}`]),
  ) as Record<KeywardAppName, string>;
  let nats: NatsServerProcess;
  let suite: SuiteContext;
  let stack: RunningStack;
  const connections: NatsConnection[] = [];
  const appOutput: string[] = [];

  const url = (app: KeywardAppName) => stack.services.find((service) => service.app === app)?.url as string;
  const natsUrl = () => `nats://127.0.0.1:${nats.port}`;

  /** A raw connection as `user`, recording every permission violation the server reports to it. */
  async function connectAs(user: KeywardAppName) {
    const connection = await connect({ servers: natsUrl(), user, pass: passwords[user], inboxPrefix: natsInboxPrefix(user) });
    connections.push(connection);
    const violations: string[] = [];
    void (async () => {
      for await (const status of connection.status()) {
        const context = (status as { permissionContext?: { operation: string; subject: string } }).permissionContext;
        if (context) violations.push(`${context.operation} ${context.subject}`);
      }
    })();
    return { connection, violations };
  }

  /** Subscribing to `subject` is refused: the subscription ends with a permissions violation. */
  async function expectSubscriptionRefused(connection: NatsConnection, subject: string) {
    const subscription = connection.subscribe(subject);
    const outcome = (async () => {
      for await (const _message of subscription) return 'received a message';
      return 'closed without error';
    })().catch((error: NatsError) => error.code);
    await connection.flush();
    expect(await outcome).toBe('PERMISSIONS_VIOLATION');
  }

  beforeAll(async () => {
    nats = await startNatsServer({
      render: ({ port, dir }) => renderNatsServerConfig({ port, jetstreamStoreDir: dir }),
      env: Object.fromEntries(Object.entries(passwords).map(([app, password]) => [natsPasswordEnvName(app as KeywardAppName), password])),
    });
    suite = await createSuiteContext(APPS);
    const ports = Object.fromEntries(await Promise.all(APPS.map(async (app) => [app, await findFreePort()] as const)));
    stack = await startStack({
      root: repoRoot(),
      apps: APPS,
      env: { PATH: process.env['PATH'] },
      ports,
      perAppEnv: (app) => ({
        ...suite.envFor(app),
        NATS_URL: natsUrl(),
        KEYWARD_NATS_PREFIX: '',
        NATS_USER: app,
        NATS_PASSWORD: passwords[app],
      }),
      onOutput: (app, line) => appOutput.push(`[${app}] ${line}`),
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${appOutput.slice(-30).join('\n')}\n--- nats-server ---\n${nats.output().slice(-3000)}`);
    });
  });

  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await stack?.stop();
    await suite?.dispose();
    await nats?.stop();
  });

  it('lets the KMS call the HSM and IAM, and a consumer call IAM, each under its own user', async () => {
    const kms = (await (await fetch(`${url('kms')}/health`)).json()) as HealthReport;
    expect(kms).toMatchObject({ status: 'ok', checks: { nats: { status: 'ok' }, hsm: { status: 'ok' }, iam: { status: 'ok' } } });
    const consumer = (await (await fetch(`${url(CONSUMER)}/health`)).json()) as HealthReport;
    expect(consumer).toMatchObject({ status: 'ok', checks: { nats: { status: 'ok' }, iam: { status: 'ok' }, kms: { status: 'ok' } } });

    // The same call as a raw request in @nestjs/microservices' packet format, reply under _INBOX.kms.
    const { connection, violations } = await connectAs('kms');
    const packet = { pattern: HSM_SUBJECTS.ping, data: {}, id: 'probe-1' };
    const reply = await connection.request(HSM_SUBJECTS.ping, JSONCodec().encode(packet), { timeout: 2000 });
    expect(reply.subject.startsWith(`${natsInboxPrefix('kms')}.`)).toBe(true);
    expect(JSONCodec<{ response?: { replicaId: string } }>().decode(reply.data).response?.replicaId).toMatch(/^hsm-/);
    expect(violations).toEqual([]);
  });

  it('refuses a consumer publishing rpc.hsm.> and subscribing to the KMS replies or HSM requests', async () => {
    const { connection, violations } = await connectAs(CONSUMER);
    connection.publish(HSM_SUBJECTS.ping);
    connection.publish(HSM_SUBJECTS.domainOp('platform', 'wrap'));
    await expect(connection.request(HSM_SUBJECTS.domains('status'), undefined, { timeout: 1000 })).rejects.toThrow();
    await expectEventually(() =>
      expect(violations).toEqual(
        expect.arrayContaining([`publish ${HSM_SUBJECTS.ping}`, `publish ${HSM_SUBJECTS.domainOp('platform', 'wrap')}`, `publish ${HSM_SUBJECTS.domains('status')}`]),
      ),
    );

    await expectSubscriptionRefused(connection, '_INBOX.>');
    await expectSubscriptionRefused(connection, `${natsInboxPrefix('kms')}.>`);
    await expectSubscriptionRefused(connection, 'rpc.hsm.>');
    await expectSubscriptionRefused(connection, '>');
  });

  it('lets only IAM publish events.iam.> and only the KMS call the HSM', async () => {
    const hsm = await connectAs('hsm');
    hsm.connection.publish(IAM_EVENT_SUBJECTS.instanceCreated);
    hsm.connection.publish(HSM_SUBJECTS.ping);
    const kms = await connectAs('kms');
    kms.connection.publish(IAM_EVENT_SUBJECTS.policyChanged);
    await expectEventually(() => {
      expect(hsm.violations).toEqual(expect.arrayContaining([`publish ${IAM_EVENT_SUBJECTS.instanceCreated}`, `publish ${HSM_SUBJECTS.ping}`]));
      expect(kms.violations).toEqual([`publish ${IAM_EVENT_SUBJECTS.policyChanged}`]);
    });
    const iam = await connectAs('iam');
    iam.connection.publish(IAM_EVENT_SUBJECTS.instanceCreated, JSONCodec().encode({ probe: true }));
    await iam.connection.flush();
    expect(iam.violations).toEqual([]);
  });

  it('lets the KMS and a consumer hear IAM events live, as their caches need', async () => {
    const heard: string[] = [];
    const listeners = await Promise.all((['kms', 'app-configuration'] as const).map((app) => connectAs(app)));
    for (const [i, listener] of listeners.entries()) {
      listener.connection.subscribe(IAM_EVENT_SUBJECTS.policyChanged, { callback: () => heard.push(String(i)) });
      await listener.connection.flush();
    }
    const iam = await connectAs('iam');
    iam.connection.publish(IAM_EVENT_SUBJECTS.policyChanged, JSONCodec().encode({ probe: true }));
    await expectEventually(() => expect(heard.sort()).toEqual(['0', '1']));
    for (const listener of listeners) expect(listener.violations).toEqual([]);
  });

  it('refuses a wrong password', async () => {
    await expect(connect({ servers: natsUrl(), user: 'kms', pass: 'not-the-password' })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
  });

  it('has streams only for events: none captures rpc.> or _INBOX.>', async () => {
    const jsz = (await (await fetch(`http://127.0.0.1:${nats.monitorPort}/jsz?accounts=true&streams=true&config=true`)).json()) as {
      account_details?: { stream_detail?: { name: string; config: { subjects: string[] } }[] }[];
    };
    const streams = (jsz.account_details ?? []).flatMap((account) => account.stream_detail ?? []);
    expect(streams.map((stream) => stream.name).sort()).toEqual(['IAM_EVENTS', 'KMS_EVENTS']);
    for (const subject of streams.flatMap((stream) => stream.config.subjects)) {
      expect(subject).toMatch(/^events\./);
      for (const forbidden of ['rpc.hsm.ping.v1', '_INBOX.kms.x']) expect(subjectMatches(subject, forbidden)).toBe(false);
    }
  });
});
