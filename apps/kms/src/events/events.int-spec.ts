import { randomBytes, randomUUID } from 'node:crypto';
import { type RunningService } from '@keyward/platform';
import { expectEventually } from '@keyward/testing';
import { KmsPrisma } from '../database/kms-prisma.service';
import { LifecycleScheduler } from '../schedulers/lifecycle.scheduler';
import { startKms } from '../start-kms';
import { type EventTap, type TappedEvent, tapKeyEvents } from '../testing/event-tap';
import { type CallResult, type KmsSuite, TEST_WINDOWS, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';
import { grantServiceOnInstance } from '../testing/service-grants';
import { EventRelay } from './event-relay';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Lifecycle events (DESIGN.md "Events to consumers"): outbox → JetStream, event_ack, sync. The relay
// runs only when a test asks (its interval is an hour here), so every test knows what was published.
describe('KMS key lifecycle events', () => {
  let s: KmsSuite;
  let instance: { guid: string; crn: string };
  let schematics: string;
  let tap: EventTap;
  let relay: EventRelay;

  beforeAll(async () => {
    s = await startKmsSuite({ KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS: String(HOUR) });
    instance = await s.instance('kms');
    schematics = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_SCHEMATICS'] as string);
    await grantServiceOnInstance(s.iamUrl, s.admin, s.account, 'schematics', instance.guid);
    tap = await tapKeyEvents(s.suite.envFor('kms')['NATS_URL'] as string, s.suite.prefix);
    relay = s.kms.app.get(EventRelay);
  }, 120_000);

  afterAll(async () => {
    await tap?.close();
    await s?.close();
  });

  const workspaceCrn = () => `crn:v1:keyward:public:schematics:us-south:a/${s.account}::workspace:${randomUUID()}`;
  const kp = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token: string = s.admin) =>
    call(s.kms.url, token, method, `/api/v2${path}`, body, { 'bluemix-instance': instance.guid, ...headers });
  const svc = (method: string, path: string, body?: unknown) => kp(method, path, body, { 'x-keyward-source-crn': workspaceCrn() }, schematics);
  const createRoot = async (resource: Record<string, unknown> = {}) => {
    const created = await kp('POST', '/keys', createKeyBody({ name: `root-${randomBytes(3).toString('hex')}`, extractable: false, ...resource }));
    expect(created.status).toBe(201);
    return created.body.resources[0] as { id: string; keyVersion: { id: string } };
  };
  const register = async (keyId: string, preventKeyDeletion = false) => {
    const crn = workspaceCrn();
    await expectEventually(async () => {
      const response = await svc('POST', `/keys/${keyId}/registrations/${encodeURIComponent(crn)}`, { resources: [{ preventKeyDeletion }] });
      expect(response.status).toBe(201);
    });
    return crn;
  };
  /** Runs the relay, then waits until the tap holds `count` messages of the key. */
  const published = async (keyId: string, count: number): Promise<TappedEvent[]> => {
    await relay.runOnce();
    return expectEventually(() => {
      const events = tap.of(keyId);
      expect(events).toHaveLength(count);
      return events;
    });
  };
  const ok = async (response: Promise<CallResult>, status: number) => {
    const result = await response;
    expect({ status: result.status, body: result.status === status ? undefined : result.body }).toEqual({ status, body: undefined });
    return result;
  };

  it('publishes exactly one event per state change, with the payload of DESIGN.md and Nats-Msg-Id = eventId', async () => {
    const key = await createRoot();
    const crn = await register(key.id);
    await ok(kp('POST', `/keys/${key.id}/actions/rotate`), 204);
    const [rotated] = await published(key.id, 1);
    const v2 = (await kp('GET', `/keys/${key.id}/metadata`)).body.resources[0].keyVersion.id as string;
    expect(rotated?.subject).toBe(`${s.suite.prefix}.events.kms.key.rotated.v1`);
    expect(rotated?.event).toEqual({
      eventId: expect.stringMatching(UUID),
      eventType: 'key.rotated',
      instanceId: instance.guid,
      keyId: key.id,
      keyCrn: `${instance.crn.slice(0, -1)}key:${key.id}`,
      keyState: 1,
      oldKeyVersionId: key.keyVersion.id,
      newKeyVersionId: v2,
      registrations: [{ resourceCrn: crn, preventKeyDeletion: false }],
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(rotated?.msgId).toBe(rotated?.event.eventId);

    await ok(kp('POST', `/keys/${key.id}/actions/disable`), 204);
    // A refused change writes nothing.
    expect(reason(await kp('POST', `/keys/${key.id}/actions/disable`))).toBe('KEY_ACTION_INVALID_STATE_ERR');
    s.clock.advance(31 * SECOND);
    await ok(kp('POST', `/keys/${key.id}/actions/enable`), 204);
    await ok(kp('DELETE', `/keys/${key.id}?force=true`), 204);
    s.clock.advance(31 * SECOND);
    await ok(kp('POST', `/keys/${key.id}/restore`), 201);
    await ok(kp('DELETE', `/keys/${key.id}?force=true`), 204);
    s.clock.advance(4 * HOUR + SECOND);
    await ok(kp('DELETE', `/keys/${key.id}/purge`), 204);

    const events = await published(key.id, 7);
    expect(events.map((e) => [e.event.eventType, e.event.keyState])).toEqual([
      ['key.rotated', 1],
      ['key.disabled', 2],
      ['key.enabled', 1],
      ['key.deleted', 5],
      ['key.restored', 1],
      ['key.deleted', 5],
      ['key.purged', 5],
    ]);
    for (const e of events.slice(1)) {
      expect(e.event).toMatchObject({ oldKeyVersionId: v2, newKeyVersionId: v2, registrations: [{ resourceCrn: crn, preventKeyDeletion: false }] });
      expect(e.msgId).toBe(e.event.eventId);
      expect(e.subject).toBe(`${s.suite.prefix}.events.kms.${e.event.eventType}.v1`);
    }
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(7);
  });

  it('the scheduler emits expired and the automatic purge purged (no registrations: an empty list)', async () => {
    const expiring = await createRoot({ expirationDate: new Date(s.clock.now().getTime() + 60 * SECOND).toISOString() });
    const forgotten = await createRoot();
    await ok(kp('DELETE', `/keys/${forgotten.id}`), 204);
    s.clock.advance(91 * 24 * HOUR);
    await s.kms.app.get(LifecycleScheduler).runOnce();
    const [expired] = await published(expiring.id, 1);
    expect(expired?.event).toMatchObject({ eventType: 'key.expired', keyState: 3, registrations: [], oldKeyVersionId: expiring.keyVersion.id, newKeyVersionId: expiring.keyVersion.id });
    const events = await published(forgotten.id, 2);
    expect(events.map((e) => e.event.eventType)).toEqual(['key.deleted', 'key.purged']);
    expect((await kp('GET', `/keys/${forgotten.id}`)).status).toBe(404);
  });

  it('event_ack: service only, 204 (also again), pending acknowledgements in the key metadata until acknowledged or timed out (408)', async () => {
    const key = await createRoot();
    const crn = await register(key.id);
    await ok(kp('POST', `/keys/${key.id}/actions/disable`), 204);
    const [disabled] = await published(key.id, 1);
    const eventId = disabled?.event.eventId as string;
    const metadata = await kp('GET', `/keys/${key.id}/metadata`);
    expect(metadata.body.resources[0].pendingEventAcks).toEqual([
      { eventId, eventType: 'key.disabled', resourceCrn: crn, keyVersionId: key.keyVersion.id, creationDate: expect.any(String), ackExpirationDate: expect.any(String) },
    ]);
    const ack = (body: unknown, token = schematics) => call(s.kms.url, token, 'POST', '/api/v2/event_ack', body, { 'bluemix-instance': instance.guid, 'content-type': 'application/vnd.ibm.kms.event_acknowledge+json' });
    const good = { eventId, resourceCrn: crn, keyVersionId: key.keyVersion.id };
    const cases: [string, Promise<CallResult>, number, string][] = [
      ['user', ack(good, s.admin), 403, 'SERVICE_ONLY_ERR'],
      ['no body', ack(undefined), 400, 'NO_BODY_ERR'],
      ['no eventId', ack({ resourceCrn: crn, keyVersionId: key.keyVersion.id }), 400, 'INVALID_FIELD_ERR'],
      ['unknown event', ack({ ...good, eventId: randomUUID() }), 404, 'EVENT_NOT_FOUND_ERR'],
      ['other resource', ack({ ...good, resourceCrn: workspaceCrn() }), 404, 'EVENT_NOT_FOUND_ERR'],
      ['conflicting version', ack({ ...good, keyVersionId: randomUUID() }), 409, 'CONFLICT_ERR'],
    ];
    for (const [name, response, status, code] of cases) {
      const result = await response;
      expect({ name, status: result.status, code: reason(result) }).toEqual({ name, status, code });
    }
    expect((await ack(good)).status).toBe(204);
    expect((await kp('GET', `/keys/${key.id}/metadata`)).body.resources[0].pendingEventAcks).toEqual([]);
    expect((await ack({ metadata: { collectionTotal: 1 }, resources: [good] })).status).toBe(204);

    // Unacknowledged events age out of the metadata after KEYWARD_KMS_EVENT_ACK_TIMEOUT_MS; a late ack is 408.
    s.clock.advance(31 * SECOND);
    await ok(kp('POST', `/keys/${key.id}/actions/enable`), 204);
    const [, enabled] = await published(key.id, 2);
    expect((await kp('GET', `/keys/${key.id}`)).body.resources[0].pendingEventAcks).toHaveLength(1);
    s.clock.advance(4 * HOUR + SECOND);
    expect((await kp('GET', `/keys/${key.id}/metadata`)).body.resources[0].pendingEventAcks).toEqual([]);
    const late = await ack({ ...good, eventId: enabled?.event.eventId });
    expect([late.status, reason(late)]).toEqual([408, 'EVENT_ACK_TIMEOUT_ERR']);
  });

  it('event_ack keeps working after the key is purged', async () => {
    const key = await createRoot();
    const crn = await register(key.id);
    await ok(kp('DELETE', `/keys/${key.id}?force=true`), 204);
    s.clock.advance(4 * HOUR + SECOND);
    await ok(kp('DELETE', `/keys/${key.id}/purge`), 204);
    const [, purged] = await published(key.id, 2);
    expect(purged?.event).toMatchObject({ eventType: 'key.purged', registrations: [{ resourceCrn: crn, preventKeyDeletion: false }] });
    const response = await call(s.kms.url, schematics, 'POST', '/api/v2/event_ack', { eventId: purged?.event.eventId, resourceCrn: crn, keyVersionId: key.keyVersion.id }, { 'bluemix-instance': instance.guid });
    expect(response.status).toBe(204);
  });

  it('sync re-sends the events still awaiting acknowledgement (same eventId, a new Nats-Msg-Id); Writer and up only', async () => {
    const key = await createRoot();
    await register(key.id);
    await ok(kp('POST', `/keys/${key.id}/actions/disable`), 204);
    const [first] = await published(key.id, 1);
    await ok(kp('POST', `/keys/${key.id}/actions/sync`), 204);
    const [, again] = await published(key.id, 2);
    expect(again?.event).toEqual(first?.event);
    expect(again?.msgId).not.toBe(first?.msgId);
    const refused = await svc('POST', `/keys/${key.id}/actions/sync`);
    expect([refused.status, reason(refused)]).toEqual([401, 'UNAUTHORIZED_ERR']);
    const quiet = await createRoot();
    await ok(kp('POST', `/keys/${quiet.id}/actions/sync`), 204);
    await relay.runOnce();
    expect(tap.of(quiet.id)).toEqual([]);
  });

  it('two replicas relay in parallel without publishing a row twice (FOR UPDATE SKIP LOCKED)', async () => {
    const second: RunningService = await startKms(s.suite.envFor('kms', { KEYWARD_IAM_URL: s.iamUrl, ...TEST_WINDOWS, KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS: String(HOUR) }), { clock: s.clock });
    try {
      const keys = await Promise.all(Array.from({ length: 12 }, () => createRoot()));
      for (const key of keys) await ok(kp('POST', `/keys/${key.id}/actions/disable`), 204);
      const counts = await Promise.all([relay.runOnce(), second.app.get(EventRelay).runOnce()]);
      expect(counts[0] + counts[1]).toBe(12);
      await expectEventually(() => expect(keys.map((k) => tap.of(k.id).length)).toEqual(keys.map(() => 1)));
      const unpublished = await s.kms.app.get(KmsPrisma).keyEventOutbox.count({ where: { publishedAt: null } });
      expect(unpublished).toBe(0);
    } finally {
      await second.close();
    }
  });
});
