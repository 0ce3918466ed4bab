import { connect } from 'nats';
import { IAM_SUBJECTS, SERVICE_DEFAULT_KEY_NAME, type ServiceInstance, findServiceKeyInstance, instanceListResponseSchema } from '@keyward/contracts';
import type { RunningService } from '@keyward/platform';
import { expectEventually, readTestEnvironment, startGateProxy } from '@keyward/testing';
import { startDbaas } from '../start-dbaas';
import { type DbaasSuite, call, errorCode, startDbaasSuite } from '../testing/dbaas-suite';

/**
 * Issue 11 out of the box: no KEYWARD_DBAAS_DEFAULT_KEY_CRN. DBaaS keeps its default root key in the
 * kms instance IAM's bootstrap made for it, creates it once even when two replicas start together,
 * and a cluster created without keyCrn needs no authorization from the customer — including its
 * backups, which run as hyperp-dbaas-backup.
 */
jest.setTimeout(120_000);

describe('DBaaS: its own default root key, created at start', () => {
  let s: DbaasSuite;
  let instance: ServiceInstance;
  let a: RunningService;
  let b: RunningService;
  const secret = `card-${Math.random().toString(36).slice(2)}`;
  const activeDefaultKeys = async () =>
    ((await s.kp('GET', instance.guid, '/keys?state=1&limit=5000')).body.resources ?? []).filter((k: { name: string }) => k.name === SERVICE_DEFAULT_KEY_NAME) as { id: string; crn: string }[];
  const startReplica = () => startDbaas(s.suite.envFor('dbaas', { KEYWARD_IAM_URL: s.iamUrl, KEYWARD_KMS_URL: s.kmsUrl }));

  beforeAll(async () => {
    // The suite's own replica is given an operator key (never used here), so the service-owned instance starts empty.
    s = await startDbaasSuite({ KEYWARD_DBAAS_DEFAULT_KEY_CRN: `crn:v1:keyward:public:kms:us-south:a/${'0'.repeat(32)}:00000000-0000-4000-8000-000000000000:key:00000000-0000-4000-8000-000000000001` });
    const nats = await connect({ servers: readTestEnvironment().natsUrl });
    try {
      const reply = await nats.request(
        `${s.suite.prefix}.${IAM_SUBJECTS.instanceList}`,
        new TextEncoder().encode(JSON.stringify({ pattern: IAM_SUBJECTS.instanceList, data: { service: 'kms', account_id: s.account }, id: 'default-key-test' })),
        { timeout: 5000 },
      );
      const found = findServiceKeyInstance(instanceListResponseSchema.parse((JSON.parse(new TextDecoder().decode(reply.data)) as { response: unknown }).response), 'hyperp-dbaas-postgresql');
      if (!found) throw new Error('IAM kept no kms instance for hyperp-dbaas-postgresql');
      instance = found;
    } finally {
      await nats.close();
    }
  });

  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((app) => app.close()));
    await s?.close();
  });

  it('two replicas starting at once settle on one key in the service-owned instance', async () => {
    expect(await activeDefaultKeys()).toEqual([]);
    [a, b] = await Promise.all([startReplica(), startReplica()]);
    for (const app of [a, b]) {
      await expectEventually(async () => expect((await call(app.url, undefined, 'GET', '/health')).body.checks['default-key']).toEqual({ status: 'ok', detail: 'service-owned' }), {
        timeoutMs: 20_000,
        intervalMs: 250,
      });
    }
    const keys = await activeDefaultKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]?.crn).toContain(`:kms:us-south:a/${s.account}:${instance.guid}:key:`);
  });

  it('creates a cluster without keyCrn under that key, with no authorization from the customer; the database holds only ciphertext', async () => {
    const keyCrn = (await activeDefaultKeys())[0]?.crn as string;
    const created = await call(a.url, s.admin, 'POST', '/api/v1/clusters', { name: 'defaulted', region: 'us-south', plan: 'standard', databases: ['app'], users: ['alice'] });
    expect(created.status).toBe(201);
    expect(created.body.kms).toMatchObject({ serviceName: 'kms', instanceId: instance.guid, keyCrn });
    expect(created.body.backupKeyCrn).toBe(keyCrn);
    const id = created.body.id as string;
    expect((await call(b.url, s.admin, 'POST', `/api/v1/clusters/${id}/tables/cards/rows`, { id: 'c1', number: secret })).status).toBe(201);
    expect((await call(a.url, s.admin, 'GET', `/api/v1/clusters/${id}/tables/cards/rows/c1`)).body).toEqual({ id: 'c1', number: secret });

    const [row] = await s.sql<{ key_crn: string; backup_key_crn: string; wrapped_dek: string }>('dbaas', 'SELECT key_crn, backup_key_crn, wrapped_dek FROM clusters WHERE id = $1', [id]);
    expect(row).toMatchObject({ key_crn: keyCrn, backup_key_crn: keyCrn });
    // Keyward's ciphertext format ("KW", version 1) under the default key, never a bare DEK.
    expect(Buffer.from(row?.wrapped_dek ?? '', 'base64').subarray(0, 3)).toEqual(Buffer.from([0x4b, 0x57, 0x01]));
    const dump = JSON.stringify(await s.sql('dbaas', 'SELECT * FROM data_rows WHERE cluster_id = $1', [id]));
    expect(dump).not.toContain(secret);
    const registrations = (await s.kp('GET', instance.guid, `/keys/${keyCrn.split(':').pop() as string}/registrations`)).body.resources;
    expect(registrations).toContainEqual(expect.objectContaining({ resourceCrn: created.body.crn, preventKeyDeletion: false }));

    // The backup worker (hyperp-dbaas-backup) may use the default key too: bootstrap granted it Reader there.
    const backup = await call(a.url, s.admin, 'POST', `/api/v1/clusters/${id}/backups`);
    expect(backup.status).toBe(201);
    expect(backup.body).toMatchObject({ backupKeyCrn: keyCrn, rowCount: 1 });
  });

  it('started while the KMS is unreachable: degraded, 503 for a cluster without keyCrn with nothing created, then recovers', async () => {
    const gate = await startGateProxy(s.kmsUrl);
    const late = await startDbaas(s.suite.envFor('dbaas', { KEYWARD_IAM_URL: s.iamUrl, KEYWARD_KMS_URL: gate.url }));
    try {
      const health = await call(late.url, undefined, 'GET', '/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'degraded', checks: { 'default-key': { status: 'down' } } });
      const instancesBefore = (await call(s.iamUrl, s.admin, 'GET', '/v2/resource_instances?service=hyperp-dbaas-postgresql')).body.resources.length;
      const refused = await call(late.url, s.admin, 'POST', '/api/v1/clusters', { name: 'too-early', region: 'us-south', plan: 'standard', databases: ['app'], users: ['alice'] });
      expect(refused.status).toBe(503);
      expect(errorCode(refused)).toBe('SERVICE_UNAVAILABLE_ERR');
      expect(refused.body.errors[0].message).toContain('keyCrn');
      expect((await call(s.iamUrl, s.admin, 'GET', '/v2/resource_instances?service=hyperp-dbaas-postgresql')).body.resources.length).toBe(instancesBefore);

      gate.open();
      await expectEventually(async () => expect((await call(late.url, undefined, 'GET', '/health')).body.checks['default-key'].status).toBe('ok'), { timeoutMs: 20_000, intervalMs: 250 });
      const created = await call(late.url, s.admin, 'POST', '/api/v1/clusters', { name: 'in-time', region: 'us-south', plan: 'standard', databases: ['app'], users: ['alice'] });
      expect(created.status).toBe(201);
      expect(created.body.kms.instanceId).toBe(instance.guid);
      expect(await activeDefaultKeys()).toHaveLength(1);
    } finally {
      await late.close();
      await gate.close();
    }
  });

  it('a restarted replica reuses the key', async () => {
    const before = await activeDefaultKeys();
    const again = await startReplica();
    try {
      await expectEventually(async () => expect((await call(again.url, undefined, 'GET', '/health')).body.checks['default-key'].status).toBe('ok'), { timeoutMs: 20_000, intervalMs: 250 });
      const created = await call(again.url, s.admin, 'POST', '/api/v1/clusters', { name: 'again', region: 'us-south', plan: 'standard', databases: ['app'], users: ['alice'] });
      expect(created.body.kms.keyCrn).toBe(before[0]?.crn);
      expect(await activeDefaultKeys()).toEqual(before);
    } finally {
      await again.close();
    }
  });
});
