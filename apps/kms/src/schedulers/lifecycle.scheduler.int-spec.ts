import type { Logger } from 'pino';
import type { NatsConnection, Subscription } from 'nats';
import { HSM_SUBJECTS } from '@keyward/contracts';
import type { RunningService } from '@keyward/platform';
import { connectTestNats, createCapturingLogger } from '@keyward/testing';
import { KmsPrisma } from '../database/kms-prisma.service';
import { KeysRepository } from '../keys/keys.repository';
import { startKms } from '../start-kms';
import { type KmsSuite, TEST_WINDOWS, call, createKeyBody, startKmsSuite } from '../testing/kms-suite';
import { LifecycleScheduler } from './lifecycle.scheduler';

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
const AUTO_PURGE_MS = Number(TEST_WINDOWS.KEYWARD_KMS_AUTO_PURGE_MS);

// Two KMS replicas on one database and NATS prefix, both running lifecycle passes at the same time:
// every expiry and every automatic purge must happen exactly once.
describe('lifecycle scheduler with two KMS replicas', () => {
  let s: KmsSuite;
  let second: RunningService;
  const secondLogs = createCapturingLogger('kms', 'debug');
  let instance: { guid: string; crn: string };
  let nats: NatsConnection;
  let destroys: Subscription;
  const destroyRequests: string[] = [];

  beforeAll(async () => {
    s = await startKmsSuite();
    // The same env as the suite's KMS (database, NATS prefix, windows), and the same clock.
    second = await startKms(s.suite.envFor('kms', { KEYWARD_IAM_URL: s.iamUrl, ...TEST_WINDOWS }), { logger: secondLogs.logger as Logger, clock: s.clock });
    instance = await s.instance('kms');
    // A plain subscriber sees every request to the HSM's destroy subject, whichever replica sends it.
    nats = await connectTestNats();
    destroys = nats.subscribe(`${s.suite.prefix}.${HSM_SUBJECTS.domainOp('platform', 'key.destroy')}`);
    void (async () => {
      for await (const message of destroys) destroyRequests.push(message.string());
    })();
  }, 120_000);

  afterAll(async () => {
    destroys?.unsubscribe();
    await nats?.close();
    await second?.close();
    await s?.close();
  });

  const kp = (url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(url, s.admin, method, `/api/v2${path}`, body, { 'bluemix-instance': instance.guid, ...headers });

  const createKey = async (resource: Record<string, unknown> = {}) => {
    const created = await kp(s.kms.url, 'POST', '/keys', createKeyBody({ name: `sched-${Math.random().toString(36).slice(2, 8)}`, ...resource }));
    expect(created.status).toBe(201);
    return created.body.resources[0].id as string;
  };

  it('expires and purges each due key exactly once while both replicas run passes concurrently', async () => {
    const expiring = await Promise.all(Array.from({ length: 8 }, () => createKey({ expirationDate: new Date(s.clock.now().getTime() + 60 * SECOND).toISOString() })));
    const toPurge = await Promise.all(Array.from({ length: 8 }, () => createKey()));
    for (const id of toPurge) expect((await kp(s.kms.url, 'DELETE', `/keys/${id}`)).status).toBe(204);
    const untouched = await createKey({ expirationDate: new Date(s.clock.now().getTime() + 200 * DAY).toISOString() });

    s.clock.advance(AUTO_PURGE_MS + 60 * SECOND);
    // Deleted just now: not due for purge yet.
    const recentlyDeleted = await createKey();
    expect((await kp(s.kms.url, 'DELETE', `/keys/${recentlyDeleted}`)).status).toBe(204);

    // Observe (not replace) every conditional state change on both replicas.
    const changes: string[] = [];
    const passes: { replica: number; ran: boolean }[] = [];
    for (const [index, replica] of [s.kms, second].entries()) {
      const repository = replica.app.get(KeysRepository);
      const withAdvisoryLock = repository.withAdvisoryLock.bind(repository);
      jest.spyOn(repository, 'withAdvisoryLock').mockImplementation(async (name, work) => {
        const ran = await withAdvisoryLock(name, work);
        passes.push({ replica: index, ran });
        return ran;
      });
      const updateIf = repository.updateIf.bind(repository);
      jest.spyOn(repository, 'updateIf').mockImplementation(async (id, fromState, data) => {
        const changed = await updateIf(id, fromState, data);
        if (changed) changes.push(id);
        return changed;
      });
    }

    const schedulers = [s.kms.app.get(LifecycleScheduler), second.app.get(LifecycleScheduler)];
    for (let round = 0; round < 3; round++) {
      await Promise.all([schedulers[0]!.runOnce(), schedulers[1]!.runOnce(), schedulers[1]!.runOnce(), schedulers[0]!.runOnce()]);
    }

    // Both replicas tried every round (one pass each at a time); whoever held the lock did the work.
    expect(passes.filter((p) => p.replica === 0)).toHaveLength(3);
    expect(passes.filter((p) => p.replica === 1)).toHaveLength(3);

    // Expiry: one state change per key, on whichever replica held the lock.
    expect([...changes].sort()).toEqual([...expiring].sort());
    const prisma = s.kms.app.get(KmsPrisma);
    const expired = await prisma.key.findMany({ where: { id: { in: expiring } } });
    expect(expired.map((k) => [k.state, k.nonactiveStateReason])).toEqual(expiring.map(() => [3, 1]));

    // Purge: one HSM destroy per due key, the rows gone, every call 404 on both replicas.
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the subscriber drain
    const destroyedIds = destroyRequests.map((request) => toPurge.find((id) => request.includes(id)) ?? request);
    expect([...destroyedIds].sort()).toEqual([...toPurge].sort());
    expect(await prisma.key.count({ where: { id: { in: toPurge } } })).toBe(0);
    for (const url of [s.kms.url, second.url]) {
      const gone = await kp(url, 'GET', `/keys/${toPurge[0]}`);
      expect(gone.status).toBe(404);
    }

    // Not due: left as they were.
    const others = await prisma.key.findMany({ where: { id: { in: [untouched, recentlyDeleted] } }, orderBy: { creationDate: 'asc' } });
    expect(others.map((k) => k.state)).toEqual([1, 5]);

    // Neither replica logged a failed pass or any warning.
    const problems = [...s.logs.lines, ...secondLogs.lines].filter((line) => (JSON.parse(line) as { level: number }).level >= 40);
    expect(problems).toEqual([]);
  }, 120_000);
});
