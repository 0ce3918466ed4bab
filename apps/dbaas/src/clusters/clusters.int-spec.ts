import { expectEventually, iamTokenFor } from '@keyward/testing';
import { startDbaas } from '../start-dbaas';
import { type DbaasSuite, call, errorCode, startDbaasSuite } from '../testing/dbaas-suite';

/**
 * Clusters and their data API against the real KMS, IAM and HSM (built), Postgres and NATS: the key
 * chosen at creation, the pre-flight, the registration, nothing half-created, rows only as ciphertext.
 */
jest.setTimeout(120_000);

describe('DBaaS clusters and data', () => {
  let s: DbaasSuite;
  let kp: { guid: string; crn: string };
  let key: { id: string; crn: string };

  beforeAll(async () => {
    s = await startDbaasSuite();
    kp = await s.kmsInstance();
    key = await s.key(kp.guid);
  });

  afterAll(async () => {
    await s?.close();
  });

  const body = (extra: Record<string, unknown> = {}) => ({ name: `c-${Math.random().toString(36).slice(2, 8)}`, region: 'us-south', plan: 'standard', keyCrn: key.crn, databases: ['app'], users: ['alice'], ...extra });
  const dbaasInstances = async () =>
    (await fetch(`${s.iamUrl}/v2/resource_instances?service=hyperp-dbaas-postgresql`, { headers: { authorization: `Bearer ${s.admin}` } }).then((r) => r.json() as Promise<{ resources: unknown[] }>)).resources.length;
  const registrationsOf = async (keyId: string) => (await s.kp('GET', kp.guid, `/keys/${keyId}/registrations`)).body?.resources ?? [];

  describe('without an authorization', () => {
    it('names the missing hyperp-dbaas-postgresql → kms Reader authorization and creates nothing', async () => {
      const before = await dbaasInstances();
      const refused = await s.api('POST', '/clusters', body());
      expect(refused.status).toBe(403);
      expect(errorCode(refused)).toBe('KMS_AUTHORIZATION_MISSING_ERR');
      expect(refused.body.errors[0].message).toContain('hyperp-dbaas-postgresql → kms with the Reader role is missing');
      expect(refused.body.errors[0].message).toContain(`keyward iam authorization-policy-create hyperp-dbaas-postgresql kms Reader --target-service-instance-id ${kp.guid}`);
      expect(await dbaasInstances()).toBe(before);
      expect(await registrationsOf(key.id)).toEqual([]);
    });
  });

  describe('with a Reader authorization', () => {
    let clusterId: string;
    let clusterCrn: string;

    beforeAll(async () => {
      await s.authorize(kp.guid);
      const created = await expectEventually(
        async () => {
          const response = await s.api('POST', '/clusters', body({ name: 'orders' }));
          expect(response.status).toBe(201);
          return response;
        },
        { timeoutMs: 10_000, intervalMs: 300 },
      );
      clusterId = created.body.id;
      clusterCrn = created.body.crn;
    });

    it('creates a cluster of three nodes whose overview shows the KMS instance and root key, registered with the key', async () => {
      const cluster = await s.api('GET', `/clusters/${clusterId}`);
      expect(cluster.status).toBe(200);
      expect(cluster.body).toMatchObject({ name: 'orders', region: 'us-south', plan: 'standard', databases: ['app'], users: ['alice'], kms: { serviceName: 'kms', instanceId: kp.guid, keyId: key.id, keyCrn: key.crn } });
      expect(cluster.body.crn).toMatch(/^crn:v1:keyward:public:hyperp-dbaas-postgresql:us-south:a\/[0-9a-f]{32}:[0-9a-f-]{36}::$/);
      expect(JSON.stringify(cluster.body)).not.toMatch(/wrappedDek|wrapped_dek/);
      const nodes = await s.api('GET', `/clusters/${clusterId}/nodes`);
      expect(nodes.body.nodes).toHaveLength(3);
      for (const node of nodes.body.nodes) expect(node).toMatchObject({ status: 'running', keyStatus: 'active' });
      expect(await registrationsOf(key.id)).toEqual([expect.objectContaining({ resourceCrn: clusterCrn, preventKeyDeletion: false })]);
    });

    it('refuses to change the key later, and says why', async () => {
      const other = await s.key(kp.guid);
      const refused = await s.api('PATCH', `/clusters/${clusterId}`, { keyCrn: other.crn });
      expect(refused.status).toBe(409);
      expect(refused.body.errors[0]).toMatchObject({ code: 'CONFLICT_ERR', target: 'keyCrn' });
      expect(refused.body.errors[0].message).toContain('chosen only when the cluster is created');
      expect((await s.api('GET', `/clusters/${clusterId}`)).body.kms.keyId).toBe(key.id);
      expect((await s.api('PATCH', `/clusters/${clusterId}`, { name: 'orders-2' })).body.name).toBe('orders-2');
    });

    it('uses the operator-configured default key for a cluster created without keyCrn', async () => {
      const ownKey = await s.key(kp.guid);
      const replica = await startDbaas(s.suite.envFor('dbaas', { KEYWARD_IAM_URL: s.iamUrl, KEYWARD_KMS_URL: s.kmsUrl, KEYWARD_DBAAS_DEFAULT_KEY_CRN: ownKey.crn }));
      try {
        const { keyCrn: _none, ...withoutKey } = body();
        const created = await call(replica.url, s.admin, 'POST', '/api/v1/clusters', withoutKey);
        expect(created.status).toBe(201);
        expect(created.body.kms).toMatchObject({ keyId: ownKey.id, keyCrn: ownKey.crn });
        expect(await registrationsOf(ownKey.id)).toEqual([expect.objectContaining({ resourceCrn: created.body.crn })]);
      } finally {
        await replica.close();
      }
    });

    it.each([
      ['an invalid name', { name: 'Bad Name!' }, 400, 'BAD_BODY_ERR'],
      ['a name over 63 characters', { name: `a${'b'.repeat(63)}` }, 400, 'BAD_BODY_ERR'],
      ['an invalid database name', { databases: ['App DB'] }, 400, 'BAD_BODY_ERR'],
      ['an invalid user name', { users: ['9lives'] }, 400, 'BAD_BODY_ERR'],
      ['an unknown plan', { plan: 'gold' }, 400, 'BAD_BODY_ERR'],
      ['an unknown field', { keyRotation: true }, 400, 'BAD_BODY_ERR'],
      ['a body that is not an object', [1, 2], 400, 'BAD_BODY_ERR'],
      ['an unknown region', { region: 'mars-1' }, 400, 'BAD_BODY_ERR'],
      ['a CRN that names no key', { keyCrn: 'crn:v1:keyward:public:kms:us-south:a/abc:def::' }, 400, 'INVALID_FIELD_ERR'],
    ])('refuses %s with a 400 in the documented error format and creates nothing', async (_what, extra, status, code) => {
      const before = await dbaasInstances();
      const refused = await s.api('POST', '/clusters', Array.isArray(extra) ? extra : body(extra));
      expect(refused.status).toBe(status);
      expect(errorCode(refused)).toBe(code);
      expect(refused.body).toEqual({ errors: [expect.objectContaining({ code, message: expect.any(String) })], trace: expect.any(String) });
      expect(await dbaasInstances()).toBe(before);
    });

    it('refuses a standard key (400 KEY_ROOT_REQ_ERR) and leaves no instance or registration behind', async () => {
      const standard = await s.key(kp.guid, { extractable: true });
      const before = await dbaasInstances();
      const refused = await s.api('POST', '/clusters', body({ keyCrn: standard.crn }));
      expect(refused.status).toBe(400);
      expect(errorCode(refused)).toBe('KEY_ROOT_REQ_ERR');
      expect(refused.body.errors[0].message).toContain('cannot protect the cluster');
      expect(await dbaasInstances()).toBe(before);
      expect(await registrationsOf(standard.id)).toEqual([]);
    });

    it('refuses a disabled key with a 4xx, and a backup key that cannot be used leaves no registration of the root key', async () => {
      const disabled = await s.key(kp.guid);
      expect((await s.kp('POST', kp.guid, `/keys/${disabled.id}/actions/disable`)).status).toBe(204);
      const before = await dbaasInstances();
      const refused = await s.api('POST', '/clusters', body({ keyCrn: disabled.crn }));
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.status).toBeLessThan(500);
      expect(refused.body.errors[0].message).toContain('cannot protect the cluster');
      const withDisabledBackupKey = await s.api('POST', '/clusters', body({ backupKeyCrn: disabled.crn }));
      expect(withDisabledBackupKey.status).toBeGreaterThanOrEqual(400);
      expect(withDisabledBackupKey.status).toBeLessThan(500);
      expect(await dbaasInstances()).toBe(before);
      expect((await registrationsOf(key.id)).map((r: { resourceCrn: string }) => r.resourceCrn)).toEqual([clusterCrn]);
    });

    it('undoes the registrations and the IAM instance when the last step (the database write) fails', async () => {
      const backupKey = await s.key(kp.guid);
      // A real failure of the cluster's own database, after both registrations were made.
      await s.sql('dbaas', `CREATE OR REPLACE FUNCTION test_fail_cluster_write() RETURNS trigger AS $$ BEGIN IF NEW.name = 'fail-write' THEN RAISE EXCEPTION 'simulated write failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
      await s.sql('dbaas', 'CREATE TRIGGER test_fail_cluster_write BEFORE INSERT ON clusters FOR EACH ROW EXECUTE FUNCTION test_fail_cluster_write()');
      try {
        const before = await dbaasInstances();
        const failed = await s.api('POST', '/clusters', body({ name: 'fail-write', backupKeyCrn: backupKey.crn }));
        expect(failed.status).toBe(500);
        expect(failed.body.errors[0].message).not.toContain('simulated');
        expect(await dbaasInstances()).toBe(before);
        expect(await registrationsOf(backupKey.id)).toEqual([]);
        expect((await registrationsOf(key.id)).map((r: { resourceCrn: string }) => r.resourceCrn)).toEqual([clusterCrn]);
        expect(await s.sql('dbaas', "SELECT 1 FROM clusters WHERE name = 'fail-write'")).toEqual([]);
        expect(s.logs.text()).not.toContain('cleanup step failed');
      } finally {
        await s.sql('dbaas', 'DROP TRIGGER IF EXISTS test_fail_cluster_write ON clusters');
      }
    });
    describe('the data API', () => {
      const rows = (path = '') => `/clusters/${clusterId}/tables/customers/rows${path}`;

      it('inserts, gets, updates, lists with filters and deletes JSON rows by primary key', async () => {
        expect((await s.api('POST', rows(), { id: 'c1', name: 'Ada', city: 'London', vip: true })).status).toBe(201);
        expect((await s.api('POST', rows(), { id: 2, name: 'Grace', city: 'Arlington', vip: false })).status).toBe(201);
        expect((await s.api('POST', rows(), { id: 'c3', name: 'Edsger', city: 'London', vip: false })).status).toBe(201);
        expect((await s.api('GET', rows('/c1'))).body).toEqual({ id: 'c1', name: 'Ada', city: 'London', vip: true });
        expect((await s.api('GET', rows('/2'))).body).toMatchObject({ id: '2', name: 'Grace' });
        expect((await s.api('PUT', rows('/c1'), { name: 'Ada Lovelace', city: 'London', vip: true })).status).toBe(200);
        expect((await s.api('GET', rows('/c1'))).body.name).toBe('Ada Lovelace');
        const london = await s.api('GET', rows('?city=London'));
        expect(london.body.rows.map((r: { id: string }) => r.id).sort()).toEqual(['c1', 'c3']);
        expect((await s.api('GET', rows('?city=London&vip=false'))).body.rows.map((r: { id: string }) => r.id)).toEqual(['c3']);
        expect((await s.api('GET', rows('?limit=1'))).body.rows).toHaveLength(1);
        expect((await s.api('DELETE', rows('/c3'))).status).toBe(204);
        expect((await s.api('GET', rows('/c3'))).status).toBe(404);
      });

      it.each([
        ['a row that is an array', [1, 2], 400],
        ['a row that is a string', '"text"', 400],
        ['a row without an id', { name: 'x' }, 400],
        ['a row with an object id', { id: { a: 1 }, name: 'x' }, 400],
        ['an oversized row', { id: 'big', blob: 'x'.repeat(70 * 1024) }, 413],
      ])('refuses %s with a clear 4xx', async (_what, row, status) => {
        const refused = await s.api('POST', rows(), row);
        expect(refused.status).toBe(status);
        expect(refused.body.errors[0].message).toBeTruthy();
      });

      it('refuses a duplicate primary key (409), an invalid table name (400) and a changed id on update (400)', async () => {
        expect((await s.api('POST', rows(), { id: 'dup' })).status).toBe(201);
        expect((await s.api('POST', rows(), { id: 'dup' })).status).toBe(409);
        expect((await s.api('POST', `/clusters/${clusterId}/tables/Bad%20Table/rows`, { id: 'x' })).status).toBe(400);
        expect((await s.api('PUT', rows('/dup'), { id: 'other' })).status).toBe(400);
        expect((await s.api('PUT', rows('/missing'), { a: 1 })).status).toBe(404);
      });

      it('stores only ciphertext: the table read directly shows none of the data, and a ciphertext moved to another row does not open', async () => {
        await s.api('POST', rows(), { id: 'secret-row', motto: 'plaintext-marker-7f3a' });
        const stored = await s.sql<{ table_name: string; row_id: string; ciphertext: string }>('dbaas', 'SELECT table_name, row_id, ciphertext FROM data_rows WHERE cluster_id = $1', [clusterId]);
        expect(stored.length).toBeGreaterThan(0);
        const dump = JSON.stringify(await s.sql('dbaas', 'SELECT * FROM data_rows')) + JSON.stringify(await s.sql('dbaas', 'SELECT * FROM clusters'));
        for (const plaintext of ['plaintext-marker-7f3a', 'Lovelace', 'London', 'Grace']) expect(dump).not.toContain(plaintext);
        for (const row of stored) expect(Buffer.from(row.ciphertext, 'base64')[0]).toBe(0x01);
        const secret = stored.find((row) => row.row_id === 'secret-row')?.ciphertext;
        await s.sql('dbaas', 'UPDATE data_rows SET ciphertext = $1 WHERE cluster_id = $2 AND row_id = $3', [secret, clusterId, 'dup']);
        const moved = await s.api('GET', rows('/dup'));
        expect(moved.status).toBe(422);
        expect(errorCode(moved)).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
        // The same row id in another table of the cluster: the table is in the AAD.
        expect((await s.api('POST', `/clusters/${clusterId}/tables/archive/rows`, { id: 'secret-row', motto: 'other' })).status).toBe(201);
        await s.sql('dbaas', 'UPDATE data_rows SET ciphertext = $1 WHERE cluster_id = $2 AND table_name = $3 AND row_id = $4', [secret, clusterId, 'archive', 'secret-row']);
        expect(errorCode(await s.api('GET', `/clusters/${clusterId}/tables/archive/rows/secret-row`))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
        // The same table and row id in another cluster (another DEK, and the cluster is in the AAD).
        const other = await s.api('POST', '/clusters', body({ name: 'other-cluster' }));
        expect(other.status).toBe(201);
        expect((await s.api('POST', `/clusters/${other.body.id}/tables/customers/rows`, { id: 'secret-row', motto: 'other' })).status).toBe(201);
        await s.sql('dbaas', 'UPDATE data_rows SET ciphertext = $1 WHERE cluster_id = $2 AND table_name = $3 AND row_id = $4', [secret, other.body.id, 'customers', 'secret-row']);
        expect(errorCode(await s.api('GET', `/clusters/${other.body.id}/tables/customers/rows/secret-row`))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
        // Listing the table refuses too, rather than skipping or showing the moved row.
        expect(errorCode(await s.api('GET', `/clusters/${other.body.id}/tables/customers/rows`))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
        // Where it belongs, the ciphertext still opens.
        expect((await s.api('GET', rows('/secret-row'))).body).toEqual({ id: 'secret-row', motto: 'plaintext-marker-7f3a' });
        expect((await s.api('DELETE', `/clusters/${other.body.id}`)).status).toBe(204);
        expect(s.logs.text()).not.toContain('plaintext-marker-7f3a');
      });

      it('never shows the cluster DEK: not in logs, answers or the database, in base64, base64url or hex', async () => {
        const [stored] = await s.sql<{ wrapped_dek: string }>('dbaas', 'SELECT wrapped_dek FROM clusters WHERE id = $1', [clusterId]);
        // The admin (Manager) may unwrap it at the KMS, as an auditor would, to know what to look for.
        const unwrapped = await s.kp('POST', kp.guid, `/keys/${key.id}/actions/unwrap`, { ciphertext: stored?.wrapped_dek, aad: [clusterCrn] });
        expect(unwrapped.status).toBe(200);
        const dek = Buffer.from(unwrapped.body.plaintext as string, 'base64');
        expect(dek).toHaveLength(32);
        const answers = JSON.stringify([(await s.api('GET', `/clusters/${clusterId}`)).body, (await s.api('GET', '/clusters')).body, (await s.api('GET', rows())).body]);
        const dump = JSON.stringify([await s.sql('dbaas', 'SELECT * FROM clusters'), await s.sql('dbaas', 'SELECT * FROM data_rows'), await s.sql('dbaas', 'SELECT * FROM cluster_nodes')]);
        for (const form of [dek.toString('base64'), dek.toString('base64url'), dek.toString('hex')]) {
          expect(s.logs.text()).not.toContain(form);
          expect(answers).not.toContain(form);
          expect(dump).not.toContain(form);
        }
      });

      it('answers 404 for a cluster that does not exist, and 401 without a token', async () => {
        expect((await s.api('GET', '/clusters/00000000-0000-0000-0000-000000000000/tables/t/rows')).status).toBe(404);
        expect((await fetch(`${s.dbaas.url}/api/v1/clusters`)).status).toBe(401);
      });
    });
  });
  describe('a root key in another account', () => {
    it('is refused until an authorization in the key\'s account names the cluster\'s account, then protects the cluster', async () => {
      // Account B (a customer of DBaaS) uses a root key of this account's Key Protect instance.
      const accountB = await call(s.iamUrl, s.admin, 'POST', '/v1/accounts', { name: `dbaas-b-${Math.random().toString(36).slice(2, 8)}` });
      expect(accountB.status).toBe(201);
      const userB = await call(s.iamUrl, s.admin, 'POST', '/v1/users', { name: 'owner-b', account_id: accountB.body.id, administrator: true });
      expect(userB.status).toBe(201);
      const apikeyB = await call(s.iamUrl, s.admin, 'POST', '/v1/apikeys', { name: 'owner-b-key', iam_id: userB.body.iam_id });
      expect(apikeyB.status).toBe(201);
      const tokenB = await iamTokenFor(s.iamUrl, apikeyB.body.apikey as string);
      const asB = (method: string, path: string, payload?: unknown) => call(s.dbaas.url, tokenB, method, `/api/v1${path}`, payload);
      const foreignKey = await s.key(kp.guid);
      const request = { name: 'cross-account', region: 'eu-gb', plan: 'standard', keyCrn: foreignKey.crn };

      const refused = await asB('POST', '/clusters', request);
      expect(refused.status).toBe(403);
      expect(errorCode(refused)).toBe('KMS_AUTHORIZATION_MISSING_ERR');
      expect(refused.body.errors[0].message).toContain(`--source-service-account ${accountB.body.id as string}`);
      expect(await registrationsOf(foreignKey.id)).toEqual([]);

      const policy = await call(s.iamUrl, s.admin, 'POST', '/v2/policies', {
        type: 'authorization',
        subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: accountB.body.id }, { key: 'serviceName', operator: 'stringEquals', value: 'hyperp-dbaas-postgresql' }] },
        resource: {
          attributes: [
            { key: 'accountId', operator: 'stringEquals', value: s.account },
            { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
            { key: 'serviceInstance', operator: 'stringEquals', value: kp.guid },
          ],
        },
        control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
      });
      expect(policy.status).toBe(201);
      const created = await expectEventually(
        async () => {
          const response = await asB('POST', '/clusters', request);
          expect(response.status).toBe(201);
          return response;
        },
        { timeoutMs: 10_000, intervalMs: 300 },
      );
      expect(created.body).toMatchObject({ accountId: accountB.body.id, kms: { instanceId: kp.guid, keyId: foreignKey.id, keyCrn: foreignKey.crn } });
      expect(await registrationsOf(foreignKey.id)).toEqual([expect.objectContaining({ resourceCrn: created.body.crn, preventKeyDeletion: false })]);
      expect((await asB('POST', `/clusters/${created.body.id}/tables/notes/rows`, { id: 'n1', text: 'cross-account' })).status).toBe(201);
      expect((await asB('GET', `/clusters/${created.body.id}/tables/notes/rows/n1`)).body).toEqual({ id: 'n1', text: 'cross-account' });
      // The admin's account does not see B's cluster.
      expect((await s.api('GET', '/clusters')).body.clusters.map((c: { id: string }) => c.id)).not.toContain(created.body.id);
    });
  });
  describe('a Hyper Protect Crypto Services root key', () => {
    it('protects a cluster as a Key Protect key does: pre-flight on hs-crypto, registration, rows sealed and read back', async () => {
      const hpcs = await s.hpcsInstance();
      const hpcsKey = await s.key(hpcs.guid);
      expect(hpcsKey.crn).toContain(':hs-crypto:');
      const request = { name: 'hpcs-cluster', region: 'us-south', plan: 'enterprise', keyCrn: hpcsKey.crn };
      const refused = await s.api('POST', '/clusters', request);
      expect(refused.status).toBe(403);
      expect(refused.body.errors[0].message).toContain(`authorization-policy-create hyperp-dbaas-postgresql hs-crypto Reader --target-service-instance-id ${hpcs.guid}`);
      await s.authorize(hpcs.guid, { service: 'hs-crypto' });
      const created = await expectEventually(
        async () => {
          const response = await s.api('POST', '/clusters', request);
          expect(response.status).toBe(201);
          return response;
        },
        { timeoutMs: 10_000, intervalMs: 300 },
      );
      expect(created.body.kms).toEqual({ serviceName: 'hs-crypto', instanceId: hpcs.guid, keyId: hpcsKey.id, keyCrn: hpcsKey.crn });
      expect((await s.kp('GET', hpcs.guid, `/keys/${hpcsKey.id}/registrations`)).body.resources).toEqual([expect.objectContaining({ resourceCrn: created.body.crn, preventKeyDeletion: false })]);
      expect((await s.api('POST', `/clusters/${created.body.id}/tables/vault/rows`, { id: 'v1', secret: 'hpcs-protected' })).status).toBe(201);
      expect((await s.api('GET', `/clusters/${created.body.id}/tables/vault/rows/v1`)).body).toEqual({ id: 'v1', secret: 'hpcs-protected' });
    });
  });
  describe('request bodies the HTTP layer refuses', () => {
    const raw = (path: string, payload: string) =>
      fetch(`${s.dbaas.url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${s.admin}`, 'content-type': 'application/json' }, body: payload }).then(async (r) => ({ status: r.status, body: (await r.json()) as { errors: { code: string; message: string }[]; trace: string } }));
    it('answers malformed JSON and a body over the 1 MiB limit in the documented error format, creating nothing', async () => {
      const before = await dbaasInstances();
      const malformed = await raw('/clusters', '{"name": "x",');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toEqual({ errors: [expect.objectContaining({ code: 'BAD_BODY_ERR', message: expect.any(String) })], trace: expect.any(String) });
      const huge = await raw('/clusters/00000000-0000-0000-0000-000000000000/tables/t/rows', JSON.stringify({ id: 'x', blob: 'x'.repeat(2 * 1024 * 1024) }));
      expect(huge.status).toBe(413);
      expect(huge.body.errors[0].code).toBe('PAYLOAD_TOO_LARGE_ERR');
      expect(huge.body.trace).toEqual(expect.any(String));
      expect(await dbaasInstances()).toBe(before);
    });
  });
});
