import { randomBytes, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { JetStreamManager, NatsConnection } from 'nats';
import { KMS_EVENT_SUBJECTS, type KmsKeyEvent, type KmsKeyEventType, STREAMS } from '@keyward/contracts';
import { SubjectNamespace, ensureStreams } from '@keyward/platform';
import { connectTestNats, createCapturingLogger, createNatsPrefix, deleteStreamsWithPrefix, expectEventually } from '@keyward/testing';
import { type KeyRef, KmsClient } from '../kms-client';
import { EnvelopeEncryption, type WrappedDataKey } from '../envelope/envelope-encryption';
import { FakeKmsServer, type RecordedRequest, countingTokens, kpError } from '../testing/fake-kms-server';
import { type KmsEventHandler, KmsEventSubscriber, type KmsEventSubscriberOptions, isResourceOfService } from './kms-event-subscriber';

/**
 * The subscriber on a real nats-server with JetStream: events are published as the KMS's outbox relay
 * publishes them (subject `events.kms.key.<type>.v1` under the suite's prefix, the contract's payload,
 * `Nats-Msg-Id` = eventId, into a stream made with the KMS_EVENTS contract). The KMS's HTTP side
 * (event_ack) is kms-client's in-process stand-in, which records every acknowledgement; the KMS's own
 * event_ack is tested in apps/kms.
 */
const ACCOUNT = '0123456789abcdef0123456789abcdef';
const apprapp = (n: number) => `crn:v1:keyward:public:apprapp:us-south:a/${ACCOUNT}:5f7e2b10-1111-4222-8333-94444555566${n}::`;
const SCHEMATICS = `crn:v1:keyward:public:schematics:us-south:a/${ACCOUNT}::workspace:ws-1`;
const INSTANCE = '9a8b7c6d-1111-4222-8333-944445555777';
const KEY_1 = '0f0e0d0c-1111-4222-8333-944445555888';

describe(KmsEventSubscriber.name, () => {
  let connection: NatsConnection;
  let manager: JetStreamManager;
  let namespace: SubjectNamespace;
  let kms: FakeKmsServer;
  const subscribers: KmsEventSubscriber[] = [];

  beforeAll(async () => {
    connection = await connectTestNats();
    manager = await connection.jetstreamManager();
  });
  afterAll(() => connection.close());

  beforeEach(async () => {
    // A stream of its own per test: a new durable consumer reads the stream from the start.
    namespace = new SubjectNamespace(createNatsPrefix());
    await ensureStreams(connection, namespace, [STREAMS.KMS_EVENTS], 'memory');
    kms = await FakeKmsServer.start();
  });
  afterEach(async () => {
    await Promise.all(subscribers.splice(0).map((subscriber) => subscriber.stop()));
    await kms.close();
    await deleteStreamsWithPrefix(namespace.prefix);
  });

  function event(type: KmsKeyEventType, registrations: string[], overrides: Partial<KmsKeyEvent> = {}): KmsKeyEvent {
    return {
      eventId: randomUUID(),
      eventType: `key.${type}`,
      instanceId: INSTANCE,
      keyId: KEY_1,
      keyCrn: `crn:v1:keyward:public:kms:us-south:a/${ACCOUNT}:${INSTANCE}:key:${KEY_1}`,
      keyState: type === 'disabled' ? 2 : 1,
      oldKeyVersionId: 'v-1',
      newKeyVersionId: type === 'rotated' ? 'v-2' : 'v-1',
      registrations: registrations.map((resourceCrn) => ({ resourceCrn, preventKeyDeletion: false })),
      timestamp: new Date().toISOString(),
      ...overrides,
    };
  }

  /** As the KMS's outbox relay publishes: JetStream de-duplicates on Nats-Msg-Id = eventId. */
  async function publish(payload: KmsKeyEvent, msgID = payload.eventId): Promise<{ duplicate: boolean; seq: number }> {
    const ack = await connection.jetstream().publish(namespace.subject(KMS_EVENT_SUBJECTS.key(payload.eventType.replace('key.', '') as KmsKeyEventType)), JSON.stringify(payload), { msgID });
    return { duplicate: ack.duplicate, seq: ack.seq };
  }

  async function start(options: Partial<KmsEventSubscriberOptions> & { handler: KmsEventHandler }): Promise<KmsEventSubscriber> {
    const subscriber = new KmsEventSubscriber({
      connection,
      namespace,
      durableName: 'app-configuration',
      ownsResource: isResourceOfService('apprapp'),
      client: new KmsClient({ kmsUrl: kms.url, tokens: countingTokens() }),
      retryDelayMs: () => 100,
      attachRetryMs: 100,
      ...options,
    });
    subscribers.push(subscriber);
    subscriber.start();
    await subscriber.ready();
    return subscriber;
  }

  const consumerInfo = () => manager.consumers.info(namespace.stream(STREAMS.KMS_EVENTS.name), 'app-configuration');
  const acks = () => kms.requestsTo('/api/v2/event_ack');
  const ackBodies = () => acks().map((request) => request.body);

  it('hands over only its own registrations, acknowledges each at the KMS, and only then acks the message', async () => {
    const handled: string[] = [];
    await start({
      handler: (_event, registration) => {
        handled.push(registration.resourceCrn);
        return Promise.resolve(registration.resourceCrn === apprapp(1) ? { keyVersionId: 'v-handled' } : undefined);
      },
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    kms.intercept = async (request: RecordedRequest) => {
      if (request.path === '/api/v2/event_ack') await held;
      return undefined;
    };
    const rotated = event('rotated', [apprapp(1), SCHEMATICS, apprapp(2)]);
    await publish(rotated);

    // The first event_ack is under way and held: the JetStream message must still be unacknowledged.
    await expectEventually(() => expect(acks()).toHaveLength(1));
    const during = await consumerInfo();
    expect(during.num_ack_pending).toBe(1);
    expect(during.ack_floor.stream_seq).toBe(0);

    release();
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(1));
    expect(handled).toEqual([apprapp(1), apprapp(2)]);
    expect(ackBodies()).toEqual([
      { eventId: rotated.eventId, resourceCrn: apprapp(1), keyVersionId: 'v-handled' },
      { eventId: rotated.eventId, resourceCrn: apprapp(2), keyVersionId: 'v-2' },
    ]);
    expect(acks().map((request) => request.headers['bluemix-instance'])).toEqual([INSTANCE, INSTANCE]);
    expect((await consumerInfo()).num_ack_pending).toBe(0);

    // An event for nobody of ours: acknowledged on JetStream, nothing handled, nothing sent to the KMS.
    await publish(event('disabled', [SCHEMATICS]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(2));
    expect(handled).toHaveLength(2);
    expect(acks()).toHaveLength(2);
  });

  it('handles an event once, whether JetStream drops the duplicate or the relay sends it again later', async () => {
    let calls = 0;
    await start({ handler: () => Promise.resolve(void (calls += 1)) });
    const disabled = event('disabled', [apprapp(1)]);
    expect(await publish(disabled)).toMatchObject({ duplicate: false, seq: 1 });
    expect(await publish(disabled)).toMatchObject({ duplicate: true });
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(1));
    // Re-sent after the de-duplication window (`sync`): a new stream message with the same eventId.
    await publish(disabled, `${disabled.eventId}-resent`);
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(2));
    expect(calls).toBe(1);
    expect(acks()).toHaveLength(1);
  });

  it('redelivers until event_ack succeeds, without handling the registration again', async () => {
    let calls = 0;
    let refusals = 0;
    kms.intercept = (request) => (request.path === '/api/v2/event_ack' && refusals++ < 2 ? kpError(503, 'SERVICE_UNAVAILABLE_ERR', 'away') : undefined);
    await start({ handler: () => Promise.resolve(void (calls += 1)) });
    await publish(event('enabled', [apprapp(1)]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(1));
    expect(acks()).toHaveLength(3);
    expect(calls).toBe(1);
    const info = await consumerInfo();
    expect(info.delivered.consumer_seq).toBe(3);
    expect(info.num_ack_pending).toBe(0);
  });

  it('does not retry an acknowledgement the KMS refuses for good, nor one it no longer expects', async () => {
    const { logger, text } = createCapturingLogger('app-configuration');
    const answers = [kpError(409, 'CONFLICT_ERR', 'keyVersionId does not match'), kpError(408, 'EVENT_ACK_TIMEOUT_ERR', 'too late'), kpError(404, 'EVENT_NOT_FOUND_ERR', 'no such event')];
    kms.intercept = (request) => (request.path === '/api/v2/event_ack' ? answers.shift() : undefined);
    let calls = 0;
    await start({ handler: () => Promise.resolve(void (calls += 1)), logger });
    await publish(event('rotated', [apprapp(1), apprapp(2), apprapp(3)]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(1));
    expect((await consumerInfo()).delivered.consumer_seq).toBe(1);
    expect(calls).toBe(3);
    expect(acks()).toHaveLength(3);
    expect(text()).toContain('the KMS refused the acknowledgement; not retried');
    expect(text()).toContain('the KMS no longer expects this acknowledgement');

    // A 401 (an authorization removed) is retried: it may be granted again.
    const refusals = [kpError(401, 'UNAUTHORIZED_ERR', 'Unauthorized'), kpError(401, 'UNAUTHORIZED_ERR', 'Unauthorized')];
    kms.intercept = (request) => (request.path === '/api/v2/event_ack' ? refusals.shift() : undefined);
    await publish(event('enabled', [apprapp(1)]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(2));
    expect((await consumerInfo()).delivered.consumer_seq).toBe(3);
  });

  it('gives up an acknowledgement still unauthorized after unauthorizedAckDeliveries, so one removed authorization does not hold every later event', async () => {
    const { logger, text } = createCapturingLogger('app-configuration');
    kms.intercept = (request) => (request.path === '/api/v2/event_ack' && (request.body as { resourceCrn?: string }).resourceCrn === apprapp(1) ? kpError(401, 'UNAUTHORIZED_ERR', 'Unauthorized') : undefined);
    const handled: string[] = [];
    await start({ handler: (incoming, registration) => Promise.resolve(void handled.push(`${incoming.eventType} ${registration.resourceCrn}`)), logger, unauthorizedAckDeliveries: 3 });
    await publish(event('disabled', [apprapp(1)]));
    await publish(event('enabled', [apprapp(2)]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(2));
    expect(handled).toEqual([`key.disabled ${apprapp(1)}`, `key.enabled ${apprapp(2)}`]);
    // Three deliveries of the first event, each event_ack tried twice by the client (a fresh token after a 401).
    expect(acks().filter((request) => (request.body as { resourceCrn: string }).resourceCrn === apprapp(1))).toHaveLength(6);
    expect((await consumerInfo()).delivered.consumer_seq).toBe(4);
    expect(text()).toContain('the KMS refused the acknowledgement; not retried');
  });

  it('after a failed handler, repeats only the registrations not yet acknowledged', async () => {
    const calls: string[] = [];
    let failed = false;
    await start({
      handler: (_event, registration) => {
        calls.push(registration.resourceCrn);
        if (registration.resourceCrn === apprapp(2) && !failed) {
          failed = true;
          return Promise.reject(new Error('database away'));
        }
        return Promise.resolve();
      },
    });
    await publish(event('deleted', [apprapp(1), apprapp(2)]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(1));
    expect(calls).toEqual([apprapp(1), apprapp(2), apprapp(2)]);
    expect(ackBodies().map((body) => (body as { resourceCrn: string }).resourceCrn)).toEqual([apprapp(1), apprapp(2)]);
  });

  it('keeps the order of events: a later event waits while an earlier one is retried', async () => {
    const seen: string[] = [];
    let failures = 0;
    await start({
      handler: (incoming) => {
        seen.push(incoming.eventType);
        if (incoming.eventType === 'key.disabled' && failures++ < 2) return Promise.reject(new Error('not yet'));
        return Promise.resolve();
      },
    });
    await publish(event('disabled', [apprapp(1)]));
    await publish(event('enabled', [apprapp(1)]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(2));
    expect(seen).toEqual(['key.disabled', 'key.disabled', 'key.disabled', 'key.enabled']);
  });

  it('is durable: a restarted subscriber receives what was published while it was away, and nothing twice', async () => {
    const first: string[] = [];
    const subscriber = await start({ handler: (incoming) => Promise.resolve(void first.push(incoming.eventId)) });
    const before = event('disabled', [apprapp(1)]);
    await publish(before);
    await expectEventually(() => expect(first).toEqual([before.eventId]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(1));
    await subscriber.stop();

    const during = event('enabled', [apprapp(1)]);
    await publish(during);
    const second: string[] = [];
    await start({ handler: (incoming) => Promise.resolve(void second.push(incoming.eventId)) });
    await expectEventually(() => expect(second).toEqual([during.eventId]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(2));
  });

  it('runs the handler once across replicas and the per-replica callback on every replica', async () => {
    const handled: string[] = [];
    const perReplica: [string[], string[]] = [[], []];
    for (const replica of [0, 1] as const) {
      await start({
        handler: (incoming) => Promise.resolve(void handled.push(incoming.eventId)),
        onEveryReplica: (incoming) => void perReplica[replica].push(incoming.eventId),
      });
    }
    const published = [event('disabled', [apprapp(1)]), event('enabled', [apprapp(1)]), event('rotated', [apprapp(1)])];
    for (const payload of published) await publish(payload);
    const ids = published.map((payload) => payload.eventId);
    await expectEventually(() => expect(perReplica).toEqual([ids, ids]));
    await expectEventually(() => expect(handled).toEqual(ids));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(3));
    expect(acks()).toHaveLength(3);
  });

  it('drops a message that is not an event without blocking the next one', async () => {
    const { logger, text } = createCapturingLogger('app-configuration');
    const handled: string[] = [];
    await start({ handler: (incoming) => Promise.resolve(void handled.push(incoming.eventId)), logger });
    await connection.jetstream().publish(namespace.subject(KMS_EVENT_SUBJECTS.key('disabled')), '{"eventId":"x"}', { msgID: 'junk' });
    const valid = event('disabled', [apprapp(1)]);
    await publish(valid);
    await expectEventually(() => expect(handled).toEqual([valid.eventId]));
    expect(text()).toContain('does not match the event contract');
  });

  it('waits for the KMS to create its stream when it starts first', async () => {
    await deleteStreamsWithPrefix(namespace.prefix);
    const { logger, text } = createCapturingLogger('app-configuration');
    const handled: string[] = [];
    const subscriber = new KmsEventSubscriber({
      connection,
      namespace,
      durableName: 'app-configuration',
      ownsResource: isResourceOfService('apprapp'),
      client: new KmsClient({ kmsUrl: kms.url, tokens: countingTokens() }),
      handler: (incoming) => Promise.resolve(void handled.push(incoming.eventId)),
      attachRetryMs: 100,
      logger,
    });
    subscribers.push(subscriber);
    subscriber.start();
    await expectEventually(() => expect(text()).toContain('cannot attach to the stream'));
    await ensureStreams(connection, namespace, [STREAMS.KMS_EVENTS], 'memory');
    await subscriber.ready();
    const late = event('restored', [apprapp(1)]);
    await publish(late);
    await expectEventually(() => expect(handled).toEqual([late.eventId]));
  });

  it('stops at once, attached or still waiting for the stream', async () => {
    const attached = await start({ handler: () => Promise.resolve() });
    await attached.stop();
    await deleteStreamsWithPrefix(namespace.prefix);
    const waiting = new KmsEventSubscriber({
      connection,
      namespace,
      durableName: 'app-configuration',
      ownsResource: isResourceOfService('apprapp'),
      client: new KmsClient({ kmsUrl: kms.url, tokens: countingTokens() }),
      handler: () => Promise.resolve(),
      attachRetryMs: 100,
    });
    waiting.start();
    await waiting.stop();
    // Stopped: a stream created now is never attached to.
    await ensureStreams(connection, namespace, [STREAMS.KMS_EVENTS], 'memory');
    await publish(event('disabled', [apprapp(1)]));
    await expect(manager.consumers.info(namespace.stream(STREAMS.KMS_EVENTS.name), 'app-configuration')).rejects.toThrow(/consumer not found/i);
  });

  /** Resolves with how long `stop()` took, or rejects after `withinMs` (a hang fails the test, not the suite). */
  async function timedStop(subscriber: KmsEventSubscriber, withinMs: number): Promise<number> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`stop() did not resolve within ${withinMs} ms`)), withinMs)));
    try {
      await Promise.race([subscriber.stop(), hung]);
      return Date.now() - started;
    } finally {
      clearTimeout(timer);
    }
  }

  it('stops while a message is being handled: the handler finishes, its event is acknowledged, and stop() resolves', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    const subscriber = await start({
      handler: async (incoming) => {
        handled.push(incoming.eventId);
        await held;
      },
    });
    const during = event('disabled', [apprapp(1)]);
    await publish(during);
    await expectEventually(() => expect(handled).toEqual([during.eventId]));
    // Another event is published while the first is handled: it must not be handled after stop().
    const after = event('enabled', [apprapp(1)]);
    await publish(after);

    const stopping = timedStop(subscriber, 5000);
    setTimeout(release, 200);
    expect(await stopping).toBeLessThan(5000);
    expect(handled).toEqual([during.eventId]);
    expect(acks().map((request) => (request.body as { eventId: string }).eventId)).toEqual([during.eventId]);
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(1));

    // The second event waits for the next subscriber (durable): nothing was lost by stopping.
    const next: string[] = [];
    await start({ handler: (incoming) => Promise.resolve(void next.push(incoming.eventId)) });
    await expectEventually(() => expect(next).toEqual([after.eventId]));
  });

  it('stops at once while no messages arrive, with and without the per-replica consumer', async () => {
    const quiet = await start({ handler: () => Promise.resolve() });
    // Long enough for an idle pull request to be outstanding at the server.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await timedStop(quiet, 5000)).toBeLessThan(2000);
    const both = await start({ handler: () => Promise.resolve(), onEveryReplica: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await timedStop(both, 5000)).toBeLessThan(2000);
  });

  it('stops when stop() comes while it is still attaching', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const racing = new KmsEventSubscriber({
        connection,
        namespace,
        durableName: 'app-configuration',
        ownsResource: isResourceOfService('apprapp'),
        client: new KmsClient({ kmsUrl: kms.url, tokens: countingTokens() }),
        handler: () => Promise.resolve(),
        attachRetryMs: 100,
      });
      racing.start();
      // Let the attach get part-way (consumer lookup / consume() under way), then stop.
      await new Promise((resolve) => setTimeout(resolve, attempt * 5));
      expect(await timedStop(racing, 5000)).toBeLessThan(2000);
    }
  });

  it('never puts DEK bytes in a log line or an error, handling rotations, failures and wipes with envelope encryption', async () => {
    const { logger, text } = createCapturingLogger('app-configuration', 'debug');
    const deks: Buffer[] = [];
    const client = new KmsClient({ kmsUrl: kms.url, tokens: countingTokens() });
    const envelope = new EnvelopeEncryption({
      client,
      randomBytes: (size) => {
        const dek = randomBytes(size);
        deks.push(Buffer.from(dek));
        return dek;
      },
    });
    const key: KeyRef = { instanceId: INSTANCE, keyId: kms.addKey(KEY_1), sourceCrn: apprapp(1) };
    let stored: WrappedDataKey = await envelope.createDataKey(key);
    const sealed = await envelope.encrypt(stored, 'customer secret', 'flag-1');
    const errors: unknown[] = [];
    let failOnce = true;
    await start({
      client,
      logger,
      handler: async (incoming) => {
        if (failOnce) {
          failOnce = false;
          // A handler that fails on a wrong AAD: its error is logged by the subscriber.
          await envelope.decrypt(stored, sealed, 'another-row').catch((error: unknown) => {
            errors.push(error);
            throw error;
          });
        }
        [stored] = (await envelope.applyKeyEvent(incoming, [stored])) as [WrappedDataKey];
        return { keyVersionId: stored.keyVersionId };
      },
    });
    const newVersion = kms.rotate(KEY_1);
    await publish(event('rotated', [apprapp(1)], { newKeyVersionId: newVersion }));
    await publish(event('disabled', [apprapp(1)]));
    await expectEventually(async () => expect((await consumerInfo()).ack_floor.stream_seq).toBe(2));
    expect(ackBodies()[0]).toMatchObject({ keyVersionId: newVersion });
    await envelope.decrypt(stored, sealed, 'flag-1').catch((error: unknown) => errors.push(error));
    kms.intercept = () => kpError(422, 'UNPROCESSABLE_CIPHERTEXT_ERR', 'The provided ciphertext is invalid or corrupted');
    await client.unwrap(key, { ciphertext: stored.wrappedDek }).catch((error: unknown) => errors.push(error));

    expect(errors).toHaveLength(3);
    expect(text()).toContain('KMS event failed');
    const haystack = [text(), ...errors.map((error) => `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 5 })}`)].join('\n');
    expect(deks).toHaveLength(1);
    for (const dek of deks) {
      for (const form of [dek.toString('hex'), dek.toString('base64'), dek.toString('base64url'), dek.toString('base64').slice(0, 24)]) {
        expect(haystack).not.toContain(form);
      }
    }
  });
});
