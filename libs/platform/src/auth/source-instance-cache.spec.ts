import type { ServiceInstance } from '@keyward/contracts';
import { SourceInstanceCache } from './source-instance-cache';

const GUID = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

const instance = (guid: string, state = 'active'): ServiceInstance => ({
  guid,
  crn: `crn:v1:keyward:public:apprapp:us-south:a/${'a'.repeat(32)}:${guid}::`,
  name: 'cfg',
  service: 'apprapp',
  plan: 'standard',
  target: 'us-south',
  resource_group_id: '1'.repeat(32),
  account_id: 'a'.repeat(32),
  parameters: {},
  state,
  created_at: '2026-01-01T00:00:00.000Z',
});

/** An IAM stand-in whose answers the test releases one by one. */
function fakeIam() {
  const asked: string[] = [];
  const waiting: { guid: string; answer: (value: ServiceInstance | undefined) => void }[] = [];
  const known = new Map<string, ServiceInstance>();
  return {
    asked,
    known,
    fetch: (guid: string) => {
      asked.push(guid);
      return new Promise<ServiceInstance | undefined>((resolve) => waiting.push({ guid, answer: resolve }));
    },
    /** Answers every waiting request with what IAM knows now. */
    release: () => {
      for (const request of waiting.splice(0)) request.answer(known.get(request.guid));
    },
  };
}

describe(SourceInstanceCache.name, () => {
  it('coalesces concurrent misses for one guid into one IAM request, then answers from memory until the TTL', async () => {
    let now = 0;
    const iam = fakeIam();
    iam.known.set(GUID, instance(GUID));
    const cache = new SourceInstanceCache(iam.fetch, { ttlMs: 1000, now: () => now });
    const calls = Array.from({ length: 5 }, () => cache.lookup(GUID));
    const other = cache.lookup(OTHER);
    expect(iam.asked).toEqual([GUID, OTHER]);
    iam.release();
    for (const found of await Promise.all(calls)) expect(found).toEqual(instance(GUID));
    await expect(other).resolves.toBeUndefined();
    await expect(cache.lookup(GUID)).resolves.toEqual(instance(GUID));
    expect(iam.asked).toEqual([GUID, OTHER]);
    now = 1001;
    const again = cache.lookup(GUID);
    iam.release();
    await again;
    expect(iam.asked).toEqual([GUID, OTHER, GUID]);
  });

  it('never remembers an unknown instance (one created a moment later works at once), but remembers a tombstone', async () => {
    const iam = fakeIam();
    const cache = new SourceInstanceCache(iam.fetch, { ttlMs: 60_000 });
    const first = cache.lookup(GUID);
    iam.release();
    await expect(first).resolves.toBeUndefined();
    iam.known.set(GUID, instance(GUID, 'removed'));
    const second = cache.lookup(GUID);
    iam.release();
    await expect(second).resolves.toMatchObject({ state: 'removed' });
    await expect(cache.lookup(GUID)).resolves.toMatchObject({ state: 'removed' });
    expect(iam.asked).toEqual([GUID, GUID]);
  });

  it('forget drops the instance at once: the next lookup asks IAM and sees the tombstone', async () => {
    const iam = fakeIam();
    iam.known.set(GUID, instance(GUID));
    iam.known.set(OTHER, instance(OTHER));
    const cache = new SourceInstanceCache(iam.fetch, { ttlMs: 60_000 });
    const warm = [cache.lookup(GUID), cache.lookup(OTHER)];
    iam.release();
    await Promise.all(warm);
    iam.known.set(GUID, instance(GUID, 'removed'));
    cache.forget(GUID);
    const after = cache.lookup(GUID);
    iam.release();
    await expect(after).resolves.toMatchObject({ state: 'removed' });
    // The other instance is still remembered.
    await expect(cache.lookup(OTHER)).resolves.toMatchObject({ state: 'active' });
    expect(iam.asked).toEqual([GUID, OTHER, GUID]);
  });

  it('does not store, nor share with later callers, an answer that was on its way when the instance was forgotten', async () => {
    const answers: ((value: ServiceInstance | undefined) => void)[] = [];
    const cache = new SourceInstanceCache(() => new Promise((resolve) => answers.push(resolve)), { ttlMs: 60_000 });
    const before = cache.lookup(GUID); // asked before the deletion
    cache.forget(GUID); // the deletion event arrives while IAM's answer is on its way
    const after = cache.lookup(GUID);
    expect(answers).toHaveLength(2); // the later caller did not join the stale request
    answers[1]?.(instance(GUID, 'removed'));
    answers[0]?.(instance(GUID)); // the stale answer comes last
    await expect(before).resolves.toMatchObject({ state: 'active' });
    await expect(after).resolves.toMatchObject({ state: 'removed' });
    // The stale answer did not overwrite the tombstone.
    await expect(cache.lookup(GUID)).resolves.toMatchObject({ state: 'removed' });
    expect(answers).toHaveLength(2);

    // Alone, a stale answer is not stored either: the next lookup asks IAM.
    const stale = cache.lookup(OTHER);
    cache.forget(OTHER);
    answers[2]?.(instance(OTHER));
    await stale;
    void cache.lookup(OTHER);
    expect(answers).toHaveLength(4);
  });

  it('forgets the instance named by events.iam.instance.deleted.v1, and everything on an unreadable event', async () => {
    const subscribed: { subject: string; callback: (error: unknown, message: { data: Uint8Array }) => void }[] = [];
    const nats = { get: () => ({ subscribe: (subject: string, options: { callback: (error: unknown, message: { data: Uint8Array }) => void }) => (subscribed.push({ subject, callback: options.callback }), { unsubscribe: () => undefined }) }) };
    const namespace = { subject: (name: string) => `p.${name}` };
    const iam = fakeIam();
    iam.known.set(GUID, instance(GUID));
    iam.known.set(OTHER, instance(OTHER));
    const cache = new SourceInstanceCache(iam.fetch, { ttlMs: 60_000, nats: nats as never, namespace: namespace as never });
    cache.onApplicationBootstrap();
    expect(subscribed.map((s) => s.subject)).toEqual(['p.events.iam.instance.deleted.v1']);
    const warm = [cache.lookup(GUID), cache.lookup(OTHER)];
    iam.release();
    await Promise.all(warm);
    expect(cache.size).toBe(2);
    subscribed[0]?.callback(null, { data: new TextEncoder().encode(JSON.stringify(instance(GUID, 'removed'))) });
    expect(cache.size).toBe(1);
    subscribed[0]?.callback(null, { data: new TextEncoder().encode('not json') });
    expect(cache.size).toBe(0);
  });

  it('stays within its bound, dropping the oldest entry first', async () => {
    const iam = fakeIam();
    const guids = ['a', 'b', 'c'].map((c) => `${c.repeat(8)}-1111-4111-8111-111111111111`);
    for (const guid of guids) iam.known.set(guid, instance(guid));
    const cache = new SourceInstanceCache(iam.fetch, { ttlMs: 60_000, max: 2 });
    for (const guid of guids) {
      const found = cache.lookup(guid);
      iam.release();
      await found;
    }
    expect(cache.size).toBe(2);
    iam.asked.length = 0;
    const [a, b, c] = guids as [string, string, string];
    const lookups = [cache.lookup(c), cache.lookup(b), cache.lookup(a)];
    iam.release();
    await Promise.all(lookups);
    expect(iam.asked).toEqual([a]);
  });
});
