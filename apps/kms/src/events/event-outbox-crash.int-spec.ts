import { randomBytes } from 'node:crypto';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { expectEventually, repoRoot } from '@keyward/testing';
import { KmsPrisma } from '../database/kms-prisma.service';
import { type EventTap, tapKeyEvents } from '../testing/event-tap';
import { type KmsSuite, call, createKeyBody, startKmsSuite } from '../testing/kms-suite';

const HOUR = 3600_000;

// The outbox's promise: an event committed with its state change reaches consumers exactly once even
// when the KMS dies between the commit and the publication. The KMS runs here as its built process
// (killed with SIGKILL); the suite's in-process KMS only serves as the database's reader and never relays.
describe('KMS event outbox across a crash', () => {
  let s: KmsSuite;
  let instance: { guid: string; crn: string };
  let tap: EventTap;
  let kms: RunningStack | undefined;

  beforeAll(async () => {
    s = await startKmsSuite({ KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS: String(HOUR) });
    instance = await s.instance('kms');
    tap = await tapKeyEvents(s.suite.envFor('kms')['NATS_URL'] as string, s.suite.prefix);
  }, 120_000);

  afterAll(async () => {
    await kms?.stop(2000);
    await tap?.close();
    await s?.close();
  });

  /** The built KMS on this suite's database and NATS prefix, its relay polling every `relayMs`. */
  const launchKms = async (relayMs: number) =>
    startStack({
      root: repoRoot(),
      apps: ['kms'],
      env: { PATH: process.env['PATH'], ...s.suite.envFor('kms', { KEYWARD_IAM_URL: s.iamUrl, KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS: String(relayMs) }) },
      ports: { kms: await findFreePort() },
      onOutput: () => undefined,
    });
  const crash = async (stack: RunningStack) => {
    const child = stack.services[0]?.process;
    await new Promise<void>((resolve) => {
      child?.once('exit', () => resolve());
      child?.kill('SIGKILL');
    });
  };
  const outbox = (eventId: string) => s.kms.app.get(KmsPrisma).keyEventOutbox.findUniqueOrThrow({ where: { id: eventId } });

  it('publishes an event committed before a SIGKILL once after the restart, and a re-publication after a lost mark is de-duplicated', async () => {
    // 1. A KMS whose relay has not run yet commits a state change and its event, then dies.
    kms = await launchKms(HOUR);
    const url = kms.services[0]?.url as string;
    const kp = (method: string, path: string, body?: unknown) => call(url, s.admin, method, `/api/v2${path}`, body, { 'bluemix-instance': instance.guid });
    const created = await kp('POST', '/keys', createKeyBody({ name: `crash-${randomBytes(3).toString('hex')}` }));
    expect(created.status).toBe(201);
    const keyId = created.body.resources[0].id as string;
    expect((await kp('POST', `/keys/${keyId}/actions/disable`)).status).toBe(204);
    const events = await s.kms.app.get(KmsPrisma).keyEvent.findMany({ where: { keyId } });
    expect(events.map((e) => e.eventType)).toEqual(['disabled']);
    const eventId = events[0]?.id as string;
    expect((await outbox(eventId)).publishedAt).toBeNull();
    await crash(kms);
    expect(tap.of(keyId)).toEqual([]);

    // 2. Restarted, the KMS publishes it: the consumer gets it once.
    kms = await launchKms(100);
    await expectEventually(async () => expect((await outbox(eventId)).publishedAt).not.toBeNull(), { timeoutMs: 10_000 });
    await expectEventually(() => expect(tap.of(keyId).map((m) => [m.msgId, m.event.eventId, m.event.eventType])).toEqual([[eventId, eventId, 'key.disabled']]));

    // 3. A crash after JetStream's ack but before the mark: the row is published again with the same
    //    Nats-Msg-Id, and the stream drops the copy.
    await crash(kms);
    await s.kms.app.get(KmsPrisma).keyEventOutbox.update({ where: { id: eventId }, data: { publishedAt: null } });
    kms = await launchKms(100);
    await expectEventually(async () => expect((await outbox(eventId)).publishedAt).not.toBeNull(), { timeoutMs: 10_000 });
    // A later event of the same key arrives after it, so the consumer has seen everything before it.
    const url2 = kms.services[0]?.url as string;
    const later = await call(url2, s.admin, 'DELETE', `/api/v2/keys/${keyId}`, undefined, { 'bluemix-instance': instance.guid });
    expect(later.status).toBe(204);
    await expectEventually(() => expect(tap.of(keyId).map((m) => m.event.eventType)).toEqual(['key.disabled', 'key.deleted']));
  });
});
