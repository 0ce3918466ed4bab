import { expectEventually } from '@keyward/testing';
import { type DbaasSuite, call, errorCode, startDbaasSuite } from '../testing/dbaas-suite';

/**
 * The backup worker acts as `hyperp-dbaas-backup`: an authorization without delegation lets the
 * cluster work but not its backups; the same authorization with delegation lets both. Backups use the
 * cluster's root key when no backup key was chosen. Scheduled backups run by themselves.
 */
jest.setTimeout(120_000);

describe('DBaaS backups under authorization delegation', () => {
  let s: DbaasSuite;
  let kp: { guid: string; crn: string };
  let key: { id: string; crn: string };
  let clusterId: string;
  let policyId: string;

  beforeAll(async () => {
    // Scheduled backups every 3 s, so the scheduler's pass is seen within the test.
    s = await startDbaasSuite({ KEYWARD_DBAAS_BACKUP_INTERVAL_MS: '3000' });
    kp = await s.kmsInstance();
    key = await s.key(kp.guid);
    policyId = await s.authorize(kp.guid, { delegate: false });
    const created = await expectEventually(
      async () => {
        const response = await s.api('POST', '/clusters', { name: 'inventory', region: 'eu-de', plan: 'standard', keyCrn: key.crn });
        expect(response.status).toBe(201);
        return response;
      },
      { timeoutMs: 10_000, intervalMs: 300 },
    );
    clusterId = created.body.id;
    expect(created.body.backupKeyCrn).toBe(key.crn);
    expect((await s.api('POST', `/clusters/${clusterId}/tables/items/rows`, { id: 'i1', sku: 'sku-secret-1' })).status).toBe(201);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('refuses a backup while the authorization has no delegation, naming what is missing', async () => {
    const refused = await s.api('POST', `/clusters/${clusterId}/backups`);
    expect(refused.status).toBe(403);
    expect(errorCode(refused)).toBe('KMS_AUTHORIZATION_MISSING_ERR');
    expect(refused.body.errors[0].message).toContain('hyperp-dbaas-backup');
    expect(refused.body.errors[0].message).toContain('delegat');
    // The scheduler's backups go through the same worker and identity: refused too, logged, retried.
    await expectEventually(
      async () => expect(s.logs.text().split('\n').some((line) => line.includes('scheduled backup failed') && line.includes('KMS_AUTHORIZATION_MISSING_ERR'))).toBe(true),
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect((await s.api('GET', `/clusters/${clusterId}/backups`)).body.backups).toEqual([]);
  });

  it('takes the backup once the authorization delegates to hyperp-dbaas-backup, and restores it', async () => {
    expect((await call(s.iamUrl, s.admin, 'DELETE', `/v2/policies/${policyId}`)).status).toBe(204);
    await s.authorize(kp.guid, { delegate: true });
    const backup = await expectEventually(
      async () => {
        const response = await s.api('POST', `/clusters/${clusterId}/backups`);
        expect(response.status).toBe(201);
        return response;
      },
      { timeoutMs: 10_000, intervalMs: 300 },
    );
    expect(backup.body).toMatchObject({ backupKeyCrn: key.crn, rowCount: 1 });
    const restored = await s.api('POST', `/clusters/${clusterId}/backups/${backup.body.id}/restore`, { name: 'inventory-copy', region: 'eu-de', plan: 'standard', keyCrn: key.crn });
    expect(restored.status).toBe(201);
    expect((await s.api('GET', `/clusters/${restored.body.id}/tables/items/rows/i1`)).body).toEqual({ id: 'i1', sku: 'sku-secret-1' });
  });

  it('takes scheduled backups by itself, once per interval', async () => {
    const scheduled = await expectEventually(
      async () => {
        const backups = (await s.api('GET', `/clusters/${clusterId}/backups`)).body.backups as { createdAt: string; rowCount: number }[];
        expect(backups.length).toBeGreaterThanOrEqual(2);
        return backups;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    for (const backup of scheduled) expect(backup.rowCount).toBe(1);
    expect(s.logs.text()).toContain('scheduled backup taken');
  });

  it('answers 404 for an unknown backup and refuses an invalid restore body before creating anything', async () => {
    expect((await s.api('POST', `/clusters/${clusterId}/backups/00000000-0000-0000-0000-000000000000/restore`, { name: 'x1', region: 'eu-de', plan: 'standard', keyCrn: key.crn })).status).toBe(404);
    const before = (await s.api('GET', '/clusters')).body.clusters.length;
    expect((await s.api('POST', `/clusters/${clusterId}/backups/00000000-0000-0000-0000-000000000000/restore`, { name: 'Bad!' })).status).toBe(400);
    expect((await s.api('GET', '/clusters')).body.clusters.length).toBe(before);
  });

  it('deletes a cluster with its rows, backups and registration', async () => {
    const crn = (await s.api('GET', `/clusters/${clusterId}`)).body.crn;
    expect((await s.api('DELETE', `/clusters/${clusterId}`)).status).toBe(204);
    expect((await s.api('GET', `/clusters/${clusterId}`)).status).toBe(404);
    expect(await s.sql('dbaas', 'SELECT 1 FROM data_rows WHERE cluster_id = $1 UNION ALL SELECT 1 FROM backups WHERE cluster_id = $1', [clusterId])).toEqual([]);
    const registrations = (await s.kp('GET', kp.guid, `/keys/${key.id}/registrations`)).body.resources ?? [];
    expect(registrations.map((r: { resourceCrn: string }) => r.resourceCrn)).not.toContain(crn);
  });

  // IAM keeps the deleted instance as a tombstone and the KMS lets its own service unregister exactly
  // its CRN (docs/KMS.md "Removed source instances"), so the registration goes with the cluster.
  it('removes a cluster whose IAM instance was deleted at IAM directly, with its rows and its registration', async () => {
    const created = await s.api('POST', '/clusters', { name: 'orphan', region: 'eu-de', plan: 'standard', keyCrn: key.crn });
    expect(created.status).toBe(201);
    const registered = async () => ((await s.kp('GET', kp.guid, `/keys/${key.id}/registrations`)).body.resources ?? []).map((r: { resourceCrn: string }) => r.resourceCrn);
    expect(await registered()).toContain(created.body.crn);
    expect((await s.api('POST', `/clusters/${created.body.id}/tables/t/rows`, { id: 'r1' })).status).toBe(201);
    expect((await call(s.iamUrl, s.admin, 'DELETE', `/v2/resource_instances/${created.body.id}`)).status).toBe(204);
    await expectEventually(async () => expect((await s.api('GET', `/clusters/${created.body.id}`)).status).toBe(404), { timeoutMs: 10_000, intervalMs: 200 });
    expect(await s.sql('dbaas', 'SELECT 1 FROM data_rows WHERE cluster_id = $1', [created.body.id])).toEqual([]);
    await expectEventually(async () => expect(await registered()).not.toContain(created.body.crn), { timeoutMs: 10_000, intervalMs: 200 });
    // The still-existing key keeps working.
    expect((await s.kp('GET', kp.guid, `/keys/${key.id}/metadata`)).status).toBe(200);
  });
});
