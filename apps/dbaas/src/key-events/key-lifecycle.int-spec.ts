import { expectEventually } from '@keyward/testing';
import { ClusterEnvelope } from '../keys/dbaas-keys';
import { startDbaas } from '../start-dbaas';
import { type DbaasSuite, call, errorCode, startDbaasSuite } from '../testing/dbaas-suite';

/**
 * Seed 004 against the real stack: node key status follows the root key's lifecycle events, reads
 * stop at once when the key is disabled or deleted (and say until when it can be restored), work
 * again after enable/restore, end for good after purge; every event is acknowledged at the KMS; a
 * backup under a separate backup key restores into a new cluster after the purge.
 */
jest.setTimeout(120_000);

describe('DBaaS and the root key lifecycle (seed 004)', () => {
  let s: DbaasSuite;
  let kp: { guid: string; crn: string };
  let rootKey: { id: string; crn: string };
  let backupKey: { id: string; crn: string };
  let clusterId: string;
  let clusterCrn: string;
  let backupId: string;

  const row = (id: string) => s.api('GET', `/clusters/${clusterId}/tables/accounts/rows/${id}`);
  const keyStatuses = async () => ((await s.api('GET', `/clusters/${clusterId}/nodes`)).body.nodes as { keyStatus: string }[]).map((n) => n.keyStatus);
  const waitForKeyStatus = (status: string) => expectEventually(async () => expect(await keyStatuses()).toEqual([status, status, status]), { timeoutMs: 15_000, intervalMs: 100 });

  beforeAll(async () => {
    s = await startDbaasSuite();
    kp = await s.kmsInstance();
    rootKey = await s.key(kp.guid);
    backupKey = await s.key(kp.guid);
    await s.authorize(kp.guid);
    const created = await expectEventually(
      async () => {
        const response = await s.api('POST', '/clusters', { name: 'ledger', region: 'us-south', plan: 'standard', keyCrn: rootKey.crn, backupKeyCrn: backupKey.crn });
        expect(response.status).toBe(201);
        return response;
      },
      { timeoutMs: 10_000, intervalMs: 300 },
    );
    clusterId = created.body.id;
    clusterCrn = created.body.crn;
    for (const id of ['a1', 'a2']) expect((await s.api('POST', `/clusters/${clusterId}/tables/accounts/rows`, { id, owner: `owner-${id}`, balance: 100 })).status).toBe(201);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('registers the cluster with both its root key and its backup key', async () => {
    for (const key of [rootKey, backupKey]) {
      expect((await s.kp('GET', kp.guid, `/keys/${key.id}/registrations`)).body.resources).toEqual([expect.objectContaining({ resourceCrn: clusterCrn, preventKeyDeletion: false })]);
    }
  });

  it('takes a backup under its own data key, wrapped by the backup key, as hyperp-dbaas-backup', async () => {
    const backup = await s.api('POST', `/clusters/${clusterId}/backups`);
    expect(backup.status).toBe(201);
    expect(backup.body).toMatchObject({ clusterId, backupKeyCrn: backupKey.crn, rowCount: 2 });
    backupId = backup.body.id;
    const stored = await s.sql<{ ciphertext: string; wrapped_dek: string }>('dbaas', 'SELECT ciphertext, wrapped_dek FROM backups WHERE id = $1', [backupId]);
    expect(stored[0]?.ciphertext).not.toContain('owner-a1');
    expect(Buffer.from(stored[0]?.ciphertext ?? '', 'base64').toString('latin1')).not.toContain('owner-a1');
    expect((await s.api('GET', `/clusters/${clusterId}/backups`)).body.backups.map((b: { id: string }) => b.id)).toEqual([backupId]);
    // The backup's own DEK is wrapped by the backup key (KMS AAD: cluster CRN and backup id), not by the
    // cluster's root key, and is not the cluster's DEK.
    const [cluster] = await s.sql<{ wrapped_dek: string }>('dbaas', 'SELECT wrapped_dek FROM clusters WHERE id = $1', [clusterId]);
    const backupDek = await s.kp('POST', kp.guid, `/keys/${backupKey.id}/actions/unwrap`, { ciphertext: stored[0]?.wrapped_dek, aad: [clusterCrn, backupId] });
    expect(backupDek.status).toBe(200);
    expect((await s.kp('POST', kp.guid, `/keys/${rootKey.id}/actions/unwrap`, { ciphertext: stored[0]?.wrapped_dek, aad: [clusterCrn, backupId] })).status).not.toBe(200);
    const clusterDek = await s.kp('POST', kp.guid, `/keys/${rootKey.id}/actions/unwrap`, { ciphertext: cluster?.wrapped_dek, aad: [clusterCrn] });
    expect(clusterDek.status).toBe(200);
    expect(backupDek.body.plaintext).not.toBe(clusterDek.body.plaintext);
  });

  it('disable: nodes show "disabled" and reads fail at once; enable: "active" and reads work again', async () => {
    expect((await row('a1')).status).toBe(200);
    // The replica holds the cluster's DEK after the read; the disabled event zeroizes it.
    const envelope = s.dbaas.app.get(ClusterEnvelope);
    expect(envelope.cachedCount).toBeGreaterThan(0);
    expect((await s.kp('POST', kp.guid, `/keys/${rootKey.id}/actions/disable`)).status).toBe(204);
    await waitForKeyStatus('disabled');
    await expectEventually(async () => expect(envelope.cachedCount).toBe(0), { timeoutMs: 10_000, intervalMs: 100 });
    const refused = await row('a1');
    expect(refused.status).toBe(409);
    expect(errorCode(refused)).toBe('KMS_KEY_UNAVAILABLE_ERR');
    expect(refused.body.errors[0].message).toContain('disabled');
    // Writes, deletes, lists and backups are closed as well, and change nothing.
    const rows = `/clusters/${clusterId}/tables/accounts/rows`;
    for (const [method, path, payload] of [['POST', rows, { id: 'a9' }], ['PUT', `${rows}/a1`, { owner: 'x' }], ['DELETE', `${rows}/a2`], ['GET', rows], ['POST', `/clusters/${clusterId}/backups`]] as const) {
      const closed = await s.api(method, path, payload);
      expect([method, path, closed.status, errorCode(closed)]).toEqual([method, path, 409, 'KMS_KEY_UNAVAILABLE_ERR']);
    }
    expect(await s.sql('dbaas', 'SELECT row_id FROM data_rows WHERE cluster_id = $1 ORDER BY row_id', [clusterId])).toEqual([{ row_id: 'a1' }, { row_id: 'a2' }]);
    expect((await s.kp('POST', kp.guid, `/keys/${rootKey.id}/actions/enable`)).status).toBe(204);
    await waitForKeyStatus('active');
    await expectEventually(async () => expect((await row('a1')).body).toMatchObject({ id: 'a1', owner: 'owner-a1' }), { timeoutMs: 10_000 });
  });

  it('delete (force): reads fail with "restorable until …"; restore: reads work again', async () => {
    const deleted = await s.kp('DELETE', kp.guid, `/keys/${rootKey.id}?force=true`);
    expect([200, 204]).toContain(deleted.status);
    await waitForKeyStatus('deleted');
    const refused = await row('a2');
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0].message).toMatch(/restorable until \d{4}-\d{2}-\d{2}T/);
    // The date DBaaS names is the KMS's own restoreExpirationDate of the key (to the second).
    const named = new Date(/restorable until (\S+)/.exec(refused.body.errors[0].message as string)?.[1] ?? '').getTime();
    const metadata = await s.kp('GET', kp.guid, `/keys/${rootKey.id}`);
    const restoreUntil = new Date(metadata.body.resources[0].restoreExpirationDate as string).getTime();
    expect(Math.abs(named - restoreUntil)).toBeLessThan(2_000);
    // A replica started after the event (empty DEK cache) answers the same, from the nodes' key status.
    const replica = await startDbaas(s.suite.envFor('dbaas', { KEYWARD_IAM_URL: s.iamUrl, KEYWARD_KMS_URL: s.kmsUrl }));
    try {
      const fromReplica = await call(replica.url, s.admin, 'GET', `/api/v1/clusters/${clusterId}/tables/accounts/rows/a2`);
      expect(fromReplica.status).toBe(409);
      expect(fromReplica.body.errors[0].message).toMatch(/restorable until \d{4}-\d{2}-\d{2}T/);
    } finally {
      await replica.close();
    }
    await expectEventually(async () => expect((await s.kp('POST', kp.guid, `/keys/${rootKey.id}/restore`)).status).toBe(201), { timeoutMs: 10_000, intervalMs: 200 });
    await waitForKeyStatus('active');
    await expectEventually(async () => expect((await row('a2')).body).toMatchObject({ id: 'a2', owner: 'owner-a2' }), { timeoutMs: 10_000 });
  });

  it('rotate: the cluster data key is rewrapped under the new version and stored; reads go on', async () => {
    const before = (await s.sql<{ key_version_id: string; wrapped_dek: string }>('dbaas', 'SELECT key_version_id, wrapped_dek FROM clusters WHERE id = $1', [clusterId]))[0];
    expect((await s.kp('POST', kp.guid, `/keys/${rootKey.id}/actions/rotate`)).status).toBe(204);
    await expectEventually(
      async () => {
        const after = (await s.sql<{ key_version_id: string; wrapped_dek: string }>('dbaas', 'SELECT key_version_id, wrapped_dek FROM clusters WHERE id = $1', [clusterId]))[0];
        expect(after?.key_version_id).not.toBe(before?.key_version_id);
        expect(after?.wrapped_dek).not.toBe(before?.wrapped_dek);
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(await keyStatuses()).toEqual(['active', 'active', 'active']);
    expect((await row('a1')).body).toMatchObject({ id: 'a1', owner: 'owner-a1' });
  });

  it('acknowledges every event at the KMS', async () => {
    await expectEventually(
      async () => {
        const pending = await s.sql<{ n: string }>('kms', 'SELECT count(*)::text AS n FROM key_event_acks WHERE resource_crn = $1 AND acked_at IS NULL', [clusterCrn]);
        const acked = await s.sql<{ n: string }>('kms', 'SELECT count(*)::text AS n FROM key_event_acks WHERE resource_crn = $1 AND acked_at IS NOT NULL', [clusterCrn]);
        expect(pending[0]?.n).toBe('0');
        expect(Number(acked[0]?.n)).toBeGreaterThanOrEqual(5);
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
  });

  it('purge: nodes show "destroyed" and the data is gone for good (410)', async () => {
    expect([200, 204]).toContain((await s.kp('DELETE', kp.guid, `/keys/${rootKey.id}?force=true`)).status);
    await waitForKeyStatus('deleted');
    await expectEventually(async () => expect([200, 204]).toContain((await s.kp('DELETE', kp.guid, `/keys/${rootKey.id}/purge`)).status), { timeoutMs: 10_000, intervalMs: 200 });
    await waitForKeyStatus('destroyed');
    const gone = await row('a1');
    expect(gone.status).toBe(410);
    expect(errorCode(gone)).toBe('KMS_KEY_PURGED_ERR');
    expect(gone.body.errors[0].message).toContain('unrecoverable');
  });

  it('restores the backup (its backup key still exists) into a new cluster with its own key, and reads the rows back', async () => {
    const newKey = await s.key(kp.guid);
    const restored = await s.api('POST', `/clusters/${clusterId}/backups/${backupId}/restore`, { name: 'ledger-restored', region: 'us-south', plan: 'standard', keyCrn: newKey.crn });
    expect(restored.status).toBe(201);
    expect(restored.body.kms.keyId).toBe(newKey.id);
    const rows = await s.api('GET', `/clusters/${restored.body.id}/tables/accounts/rows`);
    expect(rows.body.rows).toEqual([
      { id: 'a1', owner: 'owner-a1', balance: 100 },
      { id: 'a2', owner: 'owner-a2', balance: 100 },
    ]);
    // Sealed again under the new cluster's own data key, bound to the new cluster.
    const stored = await s.sql<{ ciphertext: string }>('dbaas', 'SELECT ciphertext FROM data_rows WHERE cluster_id = $1', [restored.body.id]);
    expect(stored).toHaveLength(2);
    expect(JSON.stringify(stored)).not.toContain('owner-a1');
  });

  it('deleting a cluster and purging its key deletes everything: nothing left in DBaaS, and a copied wrapped DEK opens nowhere', async () => {
    const key = await s.key(kp.guid);
    const created = await s.api('POST', '/clusters', { name: 'short-lived', region: 'us-south', plan: 'standard', keyCrn: key.crn });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await s.api('POST', `/clusters/${id}/tables/accounts/rows`, { id: 'z1', owner: 'owner-z1' })).status).toBe(201);
    expect((await s.api('POST', `/clusters/${id}/backups`)).status).toBe(201);
    // What an attacker may have copied before the deletion: the wrapped DEK.
    const [copied] = await s.sql<{ wrapped_dek: string }>('dbaas', 'SELECT wrapped_dek FROM clusters WHERE id = $1', [id]);
    expect((await s.api('DELETE', `/clusters/${id}`)).status).toBe(204);
    expect(await s.sql('dbaas', 'SELECT 1 FROM clusters WHERE id = $1 UNION ALL SELECT 1 FROM cluster_nodes WHERE cluster_id = $1 UNION ALL SELECT 1 FROM data_rows WHERE cluster_id = $1 UNION ALL SELECT 1 FROM backups WHERE cluster_id = $1', [id])).toEqual([]);
    expect((await s.kp('GET', kp.guid, `/keys/${key.id}/registrations`)).body.resources ?? []).toEqual([]);
    // No registration is left, so the key is deleted without force, then purged.
    expect([200, 204]).toContain((await s.kp('DELETE', kp.guid, `/keys/${key.id}`)).status);
    await expectEventually(async () => expect([200, 204]).toContain((await s.kp('DELETE', kp.guid, `/keys/${key.id}/purge`)).status), { timeoutMs: 10_000, intervalMs: 200 });
    const unwrap = await s.kp('POST', kp.guid, `/keys/${key.id}/actions/unwrap`, { ciphertext: copied?.wrapped_dek, aad: [created.body.crn] });
    expect(unwrap.status).toBe(404);
    // The cluster whose key was purged earlier goes too: its rows and backups are removed.
    expect((await s.api('DELETE', `/clusters/${clusterId}`)).status).toBe(204);
    expect(await s.sql('dbaas', 'SELECT 1 FROM data_rows WHERE cluster_id = $1 UNION ALL SELECT 1 FROM backups WHERE cluster_id = $1', [clusterId])).toEqual([]);
  });
  it('a backup under a purged key is gone too: its restore is refused and creates nothing', async () => {
    const key = await s.key(kp.guid);
    const created = await s.api('POST', '/clusters', { name: 'one-key', region: 'us-south', plan: 'standard', keyCrn: key.crn });
    expect(created.status).toBe(201);
    expect(created.body.backupKeyCrn).toBe(key.crn);
    expect((await s.api('POST', `/clusters/${created.body.id}/tables/accounts/rows`, { id: 'y1', owner: 'owner-y1' })).status).toBe(201);
    const backup = await s.api('POST', `/clusters/${created.body.id}/backups`);
    expect(backup.status).toBe(201);
    expect([200, 204]).toContain((await s.kp('DELETE', kp.guid, `/keys/${key.id}?force=true`)).status);
    await expectEventually(async () => expect([200, 204]).toContain((await s.kp('DELETE', kp.guid, `/keys/${key.id}/purge`)).status), { timeoutMs: 10_000, intervalMs: 200 });
    await expectEventually(async () => expect((await s.api('GET', `/clusters/${created.body.id}/nodes`)).body.nodes[0].keyStatus).toBe('destroyed'), { timeoutMs: 15_000, intervalMs: 100 });
    const fresh = await s.key(kp.guid);
    const clustersBefore = (await s.api('GET', '/clusters')).body.clusters.length;
    const refused = await s.api('POST', `/clusters/${created.body.id}/backups/${backup.body.id}/restore`, { name: 'never', region: 'us-south', plan: 'standard', keyCrn: fresh.crn });
    expect(refused.status).toBe(410);
    expect(errorCode(refused)).toBe('KMS_KEY_PURGED_ERR');
    expect(refused.body.errors[0].message).toContain(`The backup ${backup.body.id as string} cannot be opened`);
    expect(refused.body.errors[0].message).toContain('unrecoverable');
    expect((await s.api('GET', '/clusters')).body.clusters.length).toBe(clustersBefore);
    expect((await s.kp('GET', kp.guid, `/keys/${fresh.id}/registrations`)).body.resources ?? []).toEqual([]);
  });
  it('never logs row contents or data keys', () => {
    expect(s.logs.text()).not.toContain('owner-a1');
    expect(s.logs.text()).not.toMatch(/"(plaintext|dek)":/);
  });
});
