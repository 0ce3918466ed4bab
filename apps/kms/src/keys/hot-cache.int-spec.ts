import type { Logger } from 'pino';
import type { RunningService } from '@keyward/platform';
import { createCapturingLogger } from '@keyward/testing';
import { startKms } from '../start-kms';
import { type KmsSuite, TEST_WINDOWS, call, createKeyBody, startKmsSuite } from '../testing/kms-suite';

const HOT_CACHE_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The wrap path trusts key metadata and instance policies for KEYWARD_KMS_HOT_CACHE_MS. A change made
// through a replica applies on that replica at once, and on the others within the setting.
describe('the wrap path’s short-lived caches with two KMS replicas', () => {
  let s: KmsSuite;
  let second: RunningService;
  let instance: { guid: string; crn: string };

  beforeAll(async () => {
    s = await startKmsSuite({ KEYWARD_KMS_HOT_CACHE_MS: String(HOT_CACHE_MS) });
    second = await startKms(s.suite.envFor('kms', { KEYWARD_IAM_URL: s.iamUrl, ...TEST_WINDOWS, KEYWARD_KMS_HOT_CACHE_MS: String(HOT_CACHE_MS) }), {
      logger: createCapturingLogger('kms', 'warn').logger as Logger,
      clock: s.clock,
    });
    instance = await s.instance('kms');
  }, 120_000);

  afterAll(async () => {
    await second?.close();
    await s?.close();
  });

  const kp = (url: string, method: string, path: string, body?: unknown) => call(url, s.admin, method, `/api/v2${path}`, body, { 'bluemix-instance': instance.guid });
  const wrap = (url: string, id: string) => kp(url, 'POST', `/keys/${id}/actions/wrap`, {});

  it('a disable through one replica stops wraps there at once and on the other within the cache time; enable likewise', async () => {
    const created = await kp(s.kms.url, 'POST', '/keys', createKeyBody({ name: 'hot-cache-key' }));
    expect(created.status).toBe(201);
    const id = created.body.resources[0].id as string;
    // Both replicas have the key in their caches.
    expect((await wrap(s.kms.url, id)).status).toBe(200);
    expect((await wrap(second.url, id)).status).toBe(200);

    expect((await kp(second.url, 'POST', `/keys/${id}/actions/disable`)).status).toBe(204);
    // The replica that disabled it refuses at once: its own change dropped its cached row.
    expect((await wrap(second.url, id)).body.resources[0].reasons[0].code).toBe('KEY_ACTION_INVALID_STATE_ERR');
    await sleep(HOT_CACHE_MS + 100);
    expect((await wrap(s.kms.url, id)).body.resources[0].reasons[0].code).toBe('KEY_ACTION_INVALID_STATE_ERR');

    s.clock.advance(Number(TEST_WINDOWS.KEYWARD_KMS_ENABLE_WAIT_MS) + 1000);
    expect((await kp(s.kms.url, 'POST', `/keys/${id}/actions/enable`)).status).toBe(204);
    expect((await wrap(s.kms.url, id)).status).toBe(200);
    await sleep(HOT_CACHE_MS + 100);
    expect((await wrap(second.url, id)).status).toBe(200);
  });

  it('a rotation through the other replica shows in the version ids at once, though the key row is cached', async () => {
    const created = await kp(s.kms.url, 'POST', '/keys', createKeyBody({ name: 'hot-cache-rotated' }));
    const id = created.body.resources[0].id as string;
    expect((await wrap(s.kms.url, id)).status).toBe(200);
    expect((await kp(second.url, 'POST', `/keys/${id}/actions/rotate`)).status).toBe(204);
    const versions = (await kp(second.url, 'GET', `/keys/${id}/versions`)).body.resources as { id: string }[];
    expect(versions).toHaveLength(2);
    // The first replica still has the one-version row cached, yet names the new version by its id.
    const wrapped = await wrap(s.kms.url, id);
    expect(wrapped.body.keyVersion.id).toBe(versions[0]!.id);
    const batch = await kp(s.kms.url, 'POST', `/keys/${id}/actions/wrap_batch`, { items: [{}, {}] });
    expect(batch.body.results.map((r: { keyVersion: { id: string } }) => r.keyVersion.id)).toEqual([versions[0]!.id, versions[0]!.id]);
  });

  it('an allowedIP policy set through one replica holds on the other within the cache time', async () => {
    expect((await wrap(second.url, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const policy = {
      metadata: { collectionType: 'application/vnd.ibm.kms.policy+json', collectionTotal: 1 },
      resources: [{ policy_type: 'allowedIP', policy_data: { enabled: true, attributes: { allowed_ip: ['192.0.2.0/24'] } } }],
    };
    expect((await kp(s.kms.url, 'PUT', '/instance/policies?policy=allowedIP', policy)).status).toBe(204);
    // This replica refuses at once (the test's calls come from 127.0.0.1) …
    expect((await wrap(s.kms.url, '00000000-0000-4000-8000-000000000000')).status).toBe(401);
    // … and the other within the cache time.
    await sleep(HOT_CACHE_MS + 100);
    expect((await wrap(second.url, '00000000-0000-4000-8000-000000000000')).status).toBe(401);
  });
});
