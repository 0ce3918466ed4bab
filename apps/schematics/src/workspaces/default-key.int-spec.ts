import { Client } from 'pg';
import { IAM_SUBJECTS, SERVICE_DEFAULT_KEY_NAME, type ServiceInstance, findServiceKeyInstance, instanceListResponseSchema } from '@keyward/contracts';
import type { RunningService } from '@keyward/platform';
import { connect } from 'nats';
import { expectEventually, readTestEnvironment, startGateProxy } from '@keyward/testing';
import { type SchematicsSuite, call, startSchematicsSuite } from '../testing/schematics-suite';

// Issue 10 out of the box: no KEYWARD_SCHEMATICS_DEFAULT_KEY_CRN. Schematics finds the kms instance
// IAM's bootstrap keeps for it, creates its default root key there (once, even with two replicas
// starting at once) and wraps the data keys of workspaces without KMS settings with it.
describe('Schematics: its own default root key, created at start', () => {
  let s: SchematicsSuite;
  let db: Client;
  let instance: ServiceInstance;
  let a: RunningService;
  let b: RunningService;
  const secret = `s3cret-${Math.random().toString(36).slice(2)}`;
  const workspace = (app: RunningService) =>
    call(app.url, s.admin, 'POST', '/v1/workspaces', {
      name: 'ws',
      location: 'eu',
      resource_group: 'default',
      template_source: 'https://github.com/example/terraform',
      variables: [{ name: 'api_key', value: secret, secure: true }],
    });
  const activeDefaultKeys = async () =>
    ((await call(s.kmsUrl, s.admin, 'GET', '/api/v2/keys?state=1&limit=5000', undefined, { 'bluemix-instance': instance.guid })).body.resources ?? []).filter(
      (k: { name: string }) => k.name === SERVICE_DEFAULT_KEY_NAME,
    ) as { id: string; crn: string }[];

  beforeAll(async () => {
    s = await startSchematicsSuite();
    db = new Client({ connectionString: s.suite.databases.schematics?.url });
    await db.connect();
    const nats = await connect({ servers: readTestEnvironment().natsUrl });
    try {
      const reply = await nats.request(
        `${s.suite.prefix}.${IAM_SUBJECTS.instanceList}`,
        new TextEncoder().encode(JSON.stringify({ pattern: IAM_SUBJECTS.instanceList, data: { service: 'kms', account_id: s.account }, id: 'default-key-test' })),
        { timeout: 5000 },
      );
      const instances = instanceListResponseSchema.parse((JSON.parse(new TextDecoder().decode(reply.data)) as { response: unknown }).response);
      const found = findServiceKeyInstance(instances, 'schematics');
      if (!found) throw new Error('IAM kept no kms instance for schematics');
      instance = found;
    } finally {
      await nats.close();
    }
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await s?.close();
  }, 60_000);

  it('two replicas starting at once settle on one key, created in the service-owned instance', async () => {
    expect(await activeDefaultKeys()).toEqual([]);
    [a, b] = await Promise.all([s.startSchematics(), s.startSchematics()]);
    // Start waits a few seconds for the key at most; on a loaded machine it may settle just after.
    for (const app of [a, b]) {
      await expectEventually(async () => expect((await call(app.url, undefined, 'GET', '/health')).body.checks['default-key']).toEqual({ status: 'ok', detail: 'service-owned' }), {
        timeoutMs: 20_000,
        intervalMs: 250,
      });
    }
    const keys = await activeDefaultKeys();
    expect(keys).toHaveLength(1);
    const fromA = await workspace(a);
    const fromB = await workspace(b);
    expect(fromA.status).toBe(201);
    expect(fromB.status).toBe(201);
    expect(fromA.body.encryption).toEqual([{ role: 'default', key_crn: keys[0]?.crn, key_version: expect.any(String) }]);
    expect(fromB.body.encryption[0].key_crn).toBe(keys[0]?.crn);
    expect(keys[0]?.crn).toContain(`:kms:us-south:a/${s.account}:${instance.guid}:key:`);
  });

  it('stores only the wrapped data key and the default key CRN; a restart reuses the key', async () => {
    const created = await workspace(a);
    const keyCrn = (await activeDefaultKeys())[0]?.crn;
    const row = (await db.query('SELECT * FROM workspaces WHERE id = $1', [created.body.id])).rows[0];
    expect(row.data_keys).toEqual([{ role: 'default', keyCrn, wrappedDek: expect.any(String), keyVersionId: expect.any(String) }]);
    expect(Object.keys(row.data_keys[0]).sort()).toEqual(['keyCrn', 'keyVersionId', 'role', 'wrappedDek']);
    expect(JSON.stringify(row)).not.toContain(secret);
    // The wrapped DEK is Keyward's ciphertext format ("KW", version 1), not 32 raw bytes.
    expect(Buffer.from(row.data_keys[0].wrappedDek, 'base64').subarray(0, 3)).toEqual(Buffer.from([0x4b, 0x57, 0x01]));
    expect((await call(a.url, s.admin, 'GET', `/v1/workspaces/${created.body.id}/variables`)).body.variables).toEqual([{ name: 'api_key', secure: true, value: secret }]);

    // A restarted replica finds the key and creates none.
    const again = await s.startSchematics();
    expect((await workspace(again)).body.encryption[0].key_crn).toBe(keyCrn);
    expect(await activeDefaultKeys()).toHaveLength(1);
  });

  it('starts while the KMS is unreachable: degraded, 503 for workspaces that need the key, then recovers', async () => {
    const gate = await startGateProxy(s.kmsUrl);
    try {
      const late = await s.startSchematics({ KEYWARD_KMS_URL: gate.url });
      const health = await call(late.url, undefined, 'GET', '/health');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.checks['default-key'].status).toBe('down');
      const refused = await workspace(late);
      expect(refused.status).toBe(503);
      expect(refused.body.errors[0]).toMatchObject({ code: 'SERVICE_UNAVAILABLE_ERR', message: expect.stringContaining('default root key is not available yet') });
      expect(refused.text).not.toContain(secret);

      gate.open();
      await expectEventually(async () => expect((await call(late.url, undefined, 'GET', '/health')).body.checks['default-key'].status).toBe('ok'), { timeoutMs: 20_000, intervalMs: 250 });
      expect((await workspace(late)).status).toBe(201);
      expect(await activeDefaultKeys()).toHaveLength(1);
    } finally {
      await gate.close();
    }
  });
});
