import { Client } from 'pg';
import { appUrlEnvName } from '@keyward/contracts';
import { e2eDatabaseUrlEnvName, expectEventually, iamTokenFor } from '@keyward/testing';

const url = (app: 'iam' | 'kms' | 'dbaas') => process.env[appUrlEnvName(app)] as string;

async function call(base: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** SQL on an app's database of the e2e stack (what a dump shows; startE2eStack publishes the URLs). */
async function sql<T = Record<string, unknown>>(app: 'dbaas' | 'kms', text: string, values: unknown[] = []): Promise<T[]> {
  const connectionString = process.env[e2eDatabaseUrlEnvName(app)];
  if (!connectionString) throw new Error(`${e2eDatabaseUrlEnvName(app)} is not set: this suite reads the ${app} database directly`);
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Seed 004 ("Key Protect integration" of Hyper Protect DBaaS) on the whole stack as built, with Key
 * Protect's own windows (30 s between disable and enable, and between delete and restore). Purge is
 * allowed only 4 h after deletion: rather than wait, the suite moves the key's deletion time 4 h back
 * in the KMS's database, which is all the wait changes. DBaaS holds only a Reader authorization (with
 * delegation, for its backup worker `hyperp-dbaas-backup`).
 */
jest.setTimeout(180_000);

describe('seed 004: a DBaaS cluster encrypted with a customer root key', () => {
  let admin: string;
  let account: string;
  let kp: { guid: string };
  let rootKey: { id: string; crn: string };
  let backupKey: { id: string; crn: string };
  let cluster: { id: string; crn: string };

  const kms = (method: string, path: string, body?: unknown) => call(url('kms'), admin, method, `/api/v2${path}`, body, { 'bluemix-instance': kp.guid });
  const dbaas = (method: string, path: string, body?: unknown) => call(url('dbaas'), admin, method, `/api/v1${path}`, body);
  const createKey = async (name: string) => {
    const created = await kms('POST', '/keys', { metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 }, resources: [{ type: 'application/vnd.ibm.kms.key+json', name, extractable: false }] });
    expect(created.status).toBe(201);
    return { id: created.body.resources[0].id as string, crn: created.body.resources[0].crn as string };
  };
  const keyStatuses = async () => ((await dbaas('GET', `/clusters/${cluster.id}/nodes`)).body.nodes as { keyStatus: string }[]).map((n) => n.keyStatus);
  const waitForKeyStatus = (status: string) => expectEventually(async () => expect(await keyStatuses()).toEqual([status, status, status]), { timeoutMs: 20_000, intervalMs: 200 });
  const readRow = () => dbaas('GET', `/clusters/${cluster.id}/tables/patients/rows/p1`);
  const afterWindow = () => new Promise((resolve) => setTimeout(resolve, 31_000));

  beforeAll(async () => {
    admin = await iamTokenFor(url('iam'), process.env['KEYWARD_ADMIN_APIKEY'] as string);
    account = (JSON.parse(Buffer.from(admin.split('.')[1] as string, 'base64url').toString()) as { account: { bss: string } }).account.bss;
    // Step 1: a Key Protect instance with a root key (and a separate key for backups).
    kp = (await call(url('iam'), admin, 'POST', '/v2/resource_instances', { name: 'seed-004-kp', service: 'kms', plan: 'tiered-pricing', target: 'us-south' })).body;
    rootKey = await createKey('seed-004-root');
    backupKey = await createKey('seed-004-backup');
  });

  it('step 2: without the authorization, creation names what is missing and creates nothing', async () => {
    const refused = await dbaas('POST', '/clusters', { name: 'seed-004', region: 'us-south', plan: 'standard', keyCrn: rootKey.crn });
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0].code).toBe('KMS_AUTHORIZATION_MISSING_ERR');
    expect(refused.body.errors[0].message).toContain('authorization-policy-create hyperp-dbaas-postgresql kms Reader');
    const policy = await call(url('iam'), admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'hyperp-dbaas-postgresql' }] },
      resource: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: account },
          { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
          { key: 'serviceInstance', operator: 'stringEquals', value: kp.guid },
        ],
      },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
      delegate_dependents: true,
    });
    expect(policy.status).toBe(201);
  });

  it('step 3: creates the cluster with the root key, registered with it; the key cannot change later', async () => {
    const created = await expectEventually(
      async () => {
        const response = await dbaas('POST', '/clusters', { name: 'seed-004', region: 'us-south', plan: 'standard', keyCrn: rootKey.crn, backupKeyCrn: backupKey.crn, databases: ['clinic'], users: ['admin'] });
        expect(response.status).toBe(201);
        return response;
      },
      { timeoutMs: 10_000, intervalMs: 300 },
    );
    cluster = created.body;
    expect(created.body.kms).toMatchObject({ instanceId: kp.guid, keyId: rootKey.id });
    expect(await keyStatuses()).toEqual(['active', 'active', 'active']);
    const registrations = await kms('GET', `/keys/${rootKey.id}/registrations`);
    expect(registrations.body.resources).toEqual([expect.objectContaining({ resourceCrn: cluster.crn, preventKeyDeletion: false })]);
    const refused = await dbaas('PATCH', `/clusters/${cluster.id}`, { keyCrn: backupKey.crn });
    expect(refused.status).toBe(409);
    expect((await dbaas('POST', `/clusters/${cluster.id}/tables/patients/rows`, { id: 'p1', name: 'Jane Roe', condition: 'private' })).status).toBe(201);
    expect((await dbaas('POST', `/clusters/${cluster.id}/tables/patients/rows`, { id: 'p2', name: 'John Doe', condition: 'confidential' })).status).toBe(201);
    expect((await readRow()).body).toEqual({ id: 'p1', name: 'Jane Roe', condition: 'private' });
  });

  it('the table read directly holds only ciphertext (AES-256-GCM envelopes), and a ciphertext moved to another row does not open', async () => {
    const stored = await sql<{ row_id: string; ciphertext: string }>('dbaas', 'SELECT row_id, ciphertext FROM data_rows WHERE cluster_id = $1 ORDER BY row_id', [cluster.id]);
    expect(stored.map((row) => row.row_id)).toEqual(['p1', 'p2']);
    for (const row of stored) expect(Buffer.from(row.ciphertext, 'base64')[0]).toBe(0x01);
    const dump = JSON.stringify([await sql('dbaas', 'SELECT * FROM data_rows'), await sql('dbaas', 'SELECT * FROM clusters')]);
    for (const plaintext of ['Jane Roe', 'John Doe', 'private', 'confidential']) expect(dump).not.toContain(plaintext);
    // p1's ciphertext in p2's place: bound to cluster, table and row id, it does not open there.
    await sql('dbaas', 'UPDATE data_rows SET ciphertext = $1 WHERE cluster_id = $2 AND row_id = $3', [stored[0]?.ciphertext, cluster.id, 'p2']);
    const moved = await dbaas('GET', `/clusters/${cluster.id}/tables/patients/rows/p2`);
    expect(moved.status).toBe(422);
    expect(moved.body.errors[0].code).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
    await sql('dbaas', 'UPDATE data_rows SET ciphertext = $1 WHERE cluster_id = $2 AND row_id = $3', [stored[1]?.ciphertext, cluster.id, 'p2']);
    expect((await dbaas('GET', `/clusters/${cluster.id}/tables/patients/rows/p2`)).body.name).toBe('John Doe');
  });

  it('takes a backup under the separate backup key', async () => {
    const backup = await dbaas('POST', `/clusters/${cluster.id}/backups`);
    expect(backup.status).toBe(201);
    expect(backup.body).toMatchObject({ backupKeyCrn: backupKey.crn, rowCount: 2 });
  });

  it('node key status follows disable and enable; reads fail while disabled', async () => {
    expect((await kms('POST', `/keys/${rootKey.id}/actions/disable`)).status).toBe(204);
    await waitForKeyStatus('disabled');
    expect((await readRow()).status).toBe(409);
    await afterWindow();
    expect((await kms('POST', `/keys/${rootKey.id}/actions/enable`)).status).toBe(204);
    await waitForKeyStatus('active');
    await expectEventually(async () => expect((await readRow()).status).toBe(200), { timeoutMs: 10_000 });
  });

  it('step 4: deleting the key (force) stops reads, saying until when it can be restored; restoring it restores access', async () => {
    expect([200, 204]).toContain((await kms('DELETE', `/keys/${rootKey.id}?force=true`)).status);
    await waitForKeyStatus('deleted');
    const refused = await readRow();
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0].message).toMatch(/restorable until \d{4}-\d{2}-\d{2}T/);
    await afterWindow();
    expect((await kms('POST', `/keys/${rootKey.id}/restore`)).status).toBe(201);
    await waitForKeyStatus('active');
    await expectEventually(async () => expect((await readRow()).body.name).toBe('Jane Roe'), { timeoutMs: 10_000 });
  });

  it('deleting and purging the key: nodes show "destroyed" and the data is gone for good', async () => {
    expect([200, 204]).toContain((await kms('DELETE', `/keys/${rootKey.id}?force=true`)).status);
    await waitForKeyStatus('deleted');
    // Key Protect purges only 4 h after deletion: move the deletion 4 h back instead of waiting.
    await sql('kms', "UPDATE keys SET deletion_date = deletion_date - interval '4 hours 1 minute' WHERE id = $1", [rootKey.id]);
    await expectEventually(async () => expect([200, 204]).toContain((await kms('DELETE', `/keys/${rootKey.id}/purge`)).status), { timeoutMs: 10_000, intervalMs: 300 });
    await waitForKeyStatus('destroyed');
    const gone = await readRow();
    expect(gone.status).toBe(410);
    expect(gone.body.errors[0].code).toBe('KMS_KEY_PURGED_ERR');
    expect(gone.body.errors[0].message).toContain('unrecoverable');
    // The ciphertext is still in the table, but no key can open it any more.
    const [stored] = await sql<{ wrapped_dek: string }>('dbaas', 'SELECT wrapped_dek FROM clusters WHERE id = $1', [cluster.id]);
    expect((await kms('POST', `/keys/${rootKey.id}/actions/unwrap`, { ciphertext: stored?.wrapped_dek, aad: [cluster.crn] })).status).toBe(404);
  });

  it('the backup (its backup key intact) restores into a new cluster with its own key, and the rows read back', async () => {
    const backups = (await dbaas('GET', `/clusters/${cluster.id}/backups`)).body.backups as { id: string }[];
    const newKey = await createKey('seed-004-new');
    const restored = await dbaas('POST', `/clusters/${cluster.id}/backups/${backups[0]?.id}/restore`, { name: 'seed-004-restored', region: 'us-south', plan: 'standard', keyCrn: newKey.crn });
    expect(restored.status).toBe(201);
    expect(restored.body.kms).toMatchObject({ keyId: newKey.id });
    const rows = await dbaas('GET', `/clusters/${restored.body.id}/tables/patients/rows`);
    expect(rows.body.rows).toEqual([
      { id: 'p1', name: 'Jane Roe', condition: 'private' },
      { id: 'p2', name: 'John Doe', condition: 'confidential' },
    ]);
  });
});
