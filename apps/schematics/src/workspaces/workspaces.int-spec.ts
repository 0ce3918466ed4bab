import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { expectEventually, repoRoot } from '@keyward/testing';
import type { RunningService } from '@keyward/platform';
import { type RootKey, type SchematicsSuite, call, startSchematicsSuite } from '../testing/schematics-suite';

// Real IAM, HSM and KMS processes; Schematics in-process. One account: `eu` workspaces first use
// Schematics' own key, then `us` and `eu` get KMS settings (seed 001) and exercise the failover.
describe('Schematics workspaces and KMS settings', () => {
  let s: SchematicsSuite;
  let app: RunningService;
  let db: Client;
  let own: RootKey;
  let primary: RootKey;
  let secondary: RootKey;
  let standard: RootKey;
  const secret = `s3cret-${randomBytes(12).toString('hex')}`;
  const stateText = `{"resources":[{"password":"${randomBytes(12).toString('hex')}"}]}`;
  const api = (method: string, path: string, body?: unknown) => call(app.url, s.admin, method, path, body);
  const row = async (id: string) => (await db.query('SELECT * FROM workspaces WHERE id = $1', [id])).rows[0];

  beforeAll(async () => {
    s = await startSchematicsSuite();
    const ownInstance = await s.instance();
    own = await s.rootKey(ownInstance.guid);
    await s.grantSchematics(ownInstance.guid);
    const primaryInstance = await s.instance();
    primary = await s.rootKey(primaryInstance.guid);
    standard = await s.rootKey(primaryInstance.guid, { extractable: true });
    await s.grantSchematics(primaryInstance.guid);
    // The secondary's authorization is granted in a test, after the pre-flight names it missing.
    secondary = await s.rootKey((await s.instance('kms', 'us-east')).guid);
    app = await s.startSchematics({ KEYWARD_SCHEMATICS_DEFAULT_KEY_CRN: own.crn });
    db = new Client({ connectionString: s.suite.databases.schematics?.url });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await s?.close();
  }, 60_000);

  const workspaceBody = (location: string) => ({
    name: `ws-${location}`,
    location,
    resource_group: 'default',
    template_source: 'https://github.com/example/terraform',
    variables: [
      { name: 'region', value: 'us-south' },
      { name: 'api_key', value: secret, secure: true },
    ],
  });

  it('creates a workspace under Schematics’ own key, storing sensitive values and state as ciphertext only', async () => {
    const created = await api('POST', '/v1/workspaces', workspaceBody('eu'));
    expect(created.status).toBe(201);
    expect(created.body.crn).toBe(`crn:v1:keyward:public:schematics:eu-de:a/${s.account}::workspace:${created.body.id}`);
    expect(created.body.encryption).toEqual([{ role: 'default', key_crn: own.crn, key_version: expect.any(String) }]);
    expect(created.body.variables).toEqual([
      { name: 'region', secure: false, value: 'us-south' },
      { name: 'api_key', secure: true },
    ]);
    expect(created.text).not.toContain(secret);
    const id = created.body.id as string;

    expect((await api('PUT', `/v1/workspaces/${id}/state`, { state: stateText })).status).toBe(204);
    const stored = await row(id);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(JSON.stringify(stored)).not.toContain(stateText);
    expect(stored.variables[1]).toEqual({ name: 'api_key', sensitive: true, sealed: expect.any(String) });
    expect(stored.state_sealed).toEqual(expect.any(String));
    expect(stored.data_keys[0]).toMatchObject({ role: 'default', keyCrn: own.crn, wrappedDek: expect.any(String) });

    expect((await api('GET', `/v1/workspaces/${id}/variables`)).body.variables).toContainEqual({ name: 'api_key', secure: true, value: secret });
    expect((await api('GET', `/v1/workspaces/${id}/state`)).body).toEqual({ state: stateText });

    // The KMS knows the workspace uses the key (preventKeyDeletion false).
    const registrations = await call(s.kmsUrl, s.admin, 'GET', `/api/v2/keys/${own.id}/registrations`, undefined, { 'bluemix-instance': own.instance });
    expect(registrations.body.resources).toContainEqual(expect.objectContaining({ resourceCrn: created.body.crn, preventKeyDeletion: false }));
  });

  it('updates, lists and deletes workspaces; a copied ciphertext does not open in another workspace', async () => {
    const a = (await api('POST', '/v1/workspaces', workspaceBody('eu'))).body;
    const b = (await api('POST', '/v1/workspaces', workspaceBody('eu'))).body;
    const updated = await api('PATCH', `/v1/workspaces/${a.id}`, { name: 'renamed', variables: [{ name: 'token', value: `${secret}-2`, secure: true }] });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'renamed', variables: [{ name: 'token', secure: true }] });
    expect((await api('GET', '/v1/workspaces')).body.workspaces.map((w: { id: string }) => w.id)).toEqual(expect.arrayContaining([a.id, b.id]));

    // Same DEK? No: each workspace has its own, and the AAD is the CRN: a moved value is refused.
    const sealed = (await row(a.id)).variables;
    await db.query('UPDATE workspaces SET variables = $1 WHERE id = $2', [JSON.stringify(sealed), b.id]);
    const moved = await api('GET', `/v1/workspaces/${b.id}/variables`);
    expect(moved.status).toBe(500);
    expect(moved.text).not.toContain(secret);

    const registered = async () => JSON.stringify((await call(s.kmsUrl, s.admin, 'GET', `/api/v2/keys/${own.id}/registrations`, undefined, { 'bluemix-instance': own.instance })).body.resources ?? []);
    expect(await registered()).toContain(a.crn);
    expect((await api('DELETE', `/v1/workspaces/${a.id}`)).status).toBe(204);
    expect((await api('GET', `/v1/workspaces/${a.id}`)).status).toBe(404);
    // The KMS no longer counts the deleted workspace as a user of the key.
    const after = await registered();
    expect(after).not.toContain(a.crn);
    expect(after).toContain(b.crn);
  });

  it('refuses bad input with a clear 4xx, never echoing a sensitive value', async () => {
    expect((await api('POST', '/v1/workspaces', { ...workspaceBody('mars') })).status).toBe(400);
    const badVariable = await api('POST', '/v1/workspaces', { ...workspaceBody('eu'), variables: [{ name: 'x', value: 42, secure: true }] });
    expect(badVariable.status).toBe(400);
    // Each refusal of a body that carries a sensitive value: a 4xx that never echoes the value.
    const existing = (await api('POST', '/v1/workspaces', workspaceBody('eu'))).body.id as string;
    const carrying: [string, string, unknown][] = [
      ['POST', '/v1/workspaces', { ...workspaceBody('eu'), variables: [{ name: '', value: secret, secure: true }] }],
      ['POST', '/v1/workspaces', { ...workspaceBody('eu'), variables: [{ name: 'x', value: secret, secure: 'yes' }] }],
      ['POST', '/v1/workspaces', { ...workspaceBody('eu'), variables: [{ name: 'x', value: secret.repeat(4000), secure: true }] }],
      ['POST', '/v1/workspaces', { ...workspaceBody('mars'), variables: [{ name: 'x', value: secret, secure: true }] }],
      ['PATCH', `/v1/workspaces/${existing}`, { variables: [{ name: 'x', value: secret, secure: 1 }] }],
      ['PUT', `/v1/workspaces/${existing}/state`, { state: { text: stateText } }],
      // Not JSON at all: a parser's message may quote the input.
      ['POST', '/v1/workspaces', `${secret}`],
      ['POST', '/v1/workspaces', `{"name":"x","variables":[{"name":"x","value":"${secret}" "secure":true}]}`],
      ['PUT', `/v1/workspaces/${existing}/state`, `{"state":${stateText}`],
    ];
    for (const [method, path, body] of carrying) {
      const refused = await call(app.url, s.admin, method, path, body, typeof body === 'string' ? { 'content-type': 'application/json' } : {});
      expect([method, path, refused.status]).toEqual([method, path, 400]);
      expect(refused.text).not.toContain(secret);
      expect(refused.text).not.toContain(stateText);
    }
    const unknown = await api('GET', '/v2/settings/kms?location=mars');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0]).toMatchObject({ code: 'INVALID_QUERY_PARAM_ERR', message: expect.stringContaining('location') });
    expect((await api('GET', '/v2/settings/kms?location=us')).status).toBe(404);
  });

  const settings = (over: Record<string, unknown> = {}) => ({
    location: 'us',
    encryption_scheme: 'byok',
    resource_group: 'default',
    primary_crk: { kms_name: 'primary', key_crn: primary.crn, kms_private_endpoint: s.kmsUrl },
    secondary_crk: { kms_name: 'secondary', key_crn: secondary.crn, kms_private_endpoint: s.kmsUrl },
    ...over,
  });

  it('refuses KMS settings with an unknown scheme, a standard key, the same key twice, or a key outside the location', async () => {
    const expectInvalid = async (body: unknown, message: RegExp) => {
      const response = await api('PUT', '/v2/settings/kms', body);
      expect(response.status).toBe(400);
      expect(response.body.errors[0].message).toMatch(message);
    };
    await expectInvalid(settings({ encryption_scheme: 'xyok' }), /encryption_scheme/);
    await expectInvalid(settings({ location: 'mars' }), /location/);
    await expectInvalid(settings({ primary_crk: { kms_name: 'p', key_crn: 'crn:v1:keyward:public:kms:us-south:a/x:y::', kms_private_endpoint: s.kmsUrl } }), /primary_crk.key_crn: is not the CRN of a root key/);
    await expectInvalid(settings({ encryption_scheme: 'kyok' }), /kyok needs a Hyper Protect Crypto Services/);
    await expectInvalid(settings({ location: 'eu' }), /outside location eu/);
    await expectInvalid(settings({ secondary_crk: { kms_name: 's', key_crn: primary.crn, kms_private_endpoint: s.kmsUrl } }), /another key than the primary/);
    await expectInvalid(settings({ primary_crk: { kms_name: 'p', key_crn: standard.crn, kms_private_endpoint: s.kmsUrl }, secondary_crk: undefined }), /primary_crk.key_crn: the key is not a root key/);
  });

  it('lists the KMS instances of the location and scheme with their active root keys', async () => {
    const byok = await api('GET', '/v2/settings/kms/instances?location=us&scheme=byok');
    expect(byok.status).toBe(200);
    const byCrn = new Map<string, { kms_crn: string; keys: { crn: string }[] }>(byok.body.kms_instances.map((i: { kms_crn: string }) => [i.kms_crn, i]));
    const primaryEntry = [...byCrn.values()].find((i) => i.keys.some((k) => k.crn === primary.crn));
    expect(primaryEntry?.keys.map((k) => k.crn)).not.toContain(standard.crn);
    expect([...byCrn.values()].some((i) => i.keys.some((k) => k.crn === secondary.crn))).toBe(true);
    expect(byok.body.kms_instances[0]).toMatchObject({ location: 'us', encryption_scheme: 'byok', kms_private_endpoint: expect.any(String) });
    // eu has no Key Protect instances yet; kyok lists Hyper Protect Crypto Services only.
    expect((await api('GET', '/v2/settings/kms/instances?location=eu&scheme=byok')).body).toEqual({ total_count: 0, kms_instances: [] });
    expect((await api('GET', '/v2/settings/kms/instances?location=us&scheme=kyok')).body.total_count).toBe(0);
    const bad = await api('GET', '/v2/settings/kms/instances?location=us&scheme=xyok');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].message).toMatch(/scheme/);
    for (const query of ['location=mars&scheme=byok', 'scheme=byok', 'location=us']) {
      const refused = await api('GET', `/v2/settings/kms/instances?${query}`);
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0]).toMatchObject({ code: 'INVALID_QUERY_PARAM_ERR', target: query.includes('location=us') ? 'scheme' : 'location' });
    }
  });

  it('names the missing authorization Schematics → KMS instance (Reader), then enables once and refuses a second change', async () => {
    const missing = await api('PUT', '/v2/settings/kms', settings());
    expect(missing.status).toBe(403);
    expect(missing.body.errors[0].code).toBe('KMS_AUTHORIZATION_MISSING_ERR');
    expect(missing.body.errors[0].message).toContain(secondary.instance);
    expect(missing.body.errors[0].message).toMatch(/Reader/);

    await s.grantSchematics(secondary.instance);
    const enabled = await api('PUT', '/v2/settings/kms', settings());
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ location: 'us', encryption_scheme: 'byok', primary_crk: { key_crn: primary.crn }, secondary_crk: { key_crn: secondary.crn } });

    const again = await api('PUT', '/v2/settings/kms', settings({ secondary_crk: undefined }));
    expect(again.status).toBe(409);
    expect(again.body.errors[0].message).toMatch(/one-time setting.*support request/);
    expect((await api('GET', '/v2/settings/kms?location=us')).body).toMatchObject({ primary_crk: { kms_name: 'primary', key_crn: primary.crn, kms_private_endpoint: s.kmsUrl } });
  });

  it('wraps new workspaces by both keys and reads through the secondary when the primary key is disabled', async () => {
    const created = await api('POST', '/v1/workspaces', workspaceBody('us'));
    expect(created.status).toBe(201);
    expect(created.body.encryption.map((k: { role: string; key_crn: string }) => [k.role, k.key_crn])).toEqual([
      ['primary', primary.crn],
      ['secondary', secondary.crn],
    ]);
    const id = created.body.id as string;
    expect((await api('PUT', `/v1/workspaces/${id}/state`, { state: stateText })).status).toBe(204);
    const stored = await row(id);
    expect(stored.data_keys).toHaveLength(2);
    expect(JSON.stringify(stored)).not.toContain(secret);

    const disable = await call(s.kmsUrl, s.admin, 'POST', `/api/v2/keys/${primary.id}/actions/disable`, undefined, { 'bluemix-instance': primary.instance });
    expect(disable.status).toBe(204);
    expect((await api('GET', `/v1/workspaces/${id}/state`)).body).toEqual({ state: stateText });
    expect(s.logs.text()).toMatch(/KMS failover/);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/keyward_schematics_kms_failovers_total\{[^}]*from_role="primary"[^}]*\} [1-9]/);

    // Both keys unusable: the read fails with the key's state, not a 5xx.
    const disableSecondary = await call(s.kmsUrl, s.admin, 'POST', `/api/v2/keys/${secondary.id}/actions/disable`, undefined, { 'bluemix-instance': secondary.instance });
    expect(disableSecondary.status).toBe(204);
    const refused = await api('GET', `/v1/workspaces/${id}/state`);
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0].code).toBe('KMS_KEY_UNAVAILABLE_ERR');
    expect(refused.text).not.toContain(stateText);
  });

  it('fails over to the secondary when the primary’s KMS endpoint is unreachable', async () => {
    const euPrimaryInstance = await s.instance('kms', 'eu-de');
    const euSecondaryInstance = await s.instance('kms', 'eu-gb');
    const euPrimary = await s.rootKey(euPrimaryInstance.guid);
    const euSecondary = await s.rootKey(euSecondaryInstance.guid);
    await s.grantSchematics(euPrimaryInstance.guid);
    await s.grantSchematics(euSecondaryInstance.guid);
    // A second KMS process (same database and NATS: another replica) serves as the primary's endpoint.
    const kmsPort = await findFreePort();
    const second: RunningStack = await startStack({
      root: repoRoot(),
      apps: ['kms'],
      env: { PATH: process.env['PATH'] },
      perAppEnv: () => ({ ...s.suite.envFor('kms'), KEYWARD_IAM_URL: s.iamUrl }),
      ports: { kms: kmsPort },
    });
    const secondUrl = `http://127.0.0.1:${kmsPort}`;
    try {
      const enabled = await api('PUT', '/v2/settings/kms', {
        location: 'eu',
        encryption_scheme: 'byok',
        resource_group: 'default',
        primary_crk: { kms_name: 'eu-primary', key_crn: euPrimary.crn, kms_private_endpoint: secondUrl },
        secondary_crk: { kms_name: 'eu-secondary', key_crn: euSecondary.crn, kms_private_endpoint: s.kmsUrl },
      });
      expect(enabled.status).toBe(200);
      expect(enabled.body.reencryption).toMatchObject({ state: 'in_progress', pending_workspaces: expect.any(Number) });
      expect(enabled.body.reencryption.pending_workspaces).toBeGreaterThan(0);
      // The eu workspaces made under Schematics' own key move to the settings' keys in the background.
      await expectEventually(async () => {
        const progress = (await api('GET', '/v2/settings/kms?location=eu')).body.reencryption;
        expect(progress).toMatchObject({ state: 'done', pending_workspaces: 0 });
      }, { timeoutMs: 20_000 });
      const older = (await api('GET', '/v1/workspaces')).body.workspaces.find((w: { location: string; has_state: boolean }) => w.location === 'eu' && w.has_state);
      expect(older.encryption.map((k: { role: string }) => k.role)).toEqual(['primary', 'secondary']);
      expect((await api('GET', `/v1/workspaces/${older.id}/state`)).body).toEqual({ state: stateText });
      const ownRegistrations = await call(s.kmsUrl, s.admin, 'GET', `/api/v2/keys/${own.id}/registrations`, undefined, { 'bluemix-instance': own.instance });
      expect(JSON.stringify(ownRegistrations.body.resources ?? [])).not.toContain(older.crn);
      const created = await api('POST', '/v1/workspaces', workspaceBody('eu'));
      expect(created.status).toBe(201);
      expect((await api('GET', `/v1/workspaces/${created.body.id}/variables`)).body.variables).toContainEqual({ name: 'api_key', secure: true, value: secret });
      await second.stop();
      const read = await api('GET', `/v1/workspaces/${created.body.id}/variables`);
      expect(read.status).toBe(200);
      expect(read.body.variables).toContainEqual({ name: 'api_key', secure: true, value: secret });
      expect(s.logs.lines.some((line) => line.includes('KMS failover') && line.includes(euPrimary.crn))).toBe(true);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('never writes a sensitive value or the state to any log line', () => {
    const everything = [...s.logs.lines, ...s.peerLines].join('\n');
    expect(everything.length).toBeGreaterThan(0);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(stateText);
  });
});
