import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { expectEventually, iamTokenFor } from '@keyward/testing';
import type { RunningService } from '@keyward/platform';
import { type RootKey, type SchematicsSuite, call, startSchematicsSuite } from '../testing/schematics-suite';

// KYOK (seed 001): the location's keys live in Hyper Protect Crypto Services instances, each its own
// HSM domain whose key ceremony the customer ran. Real IAM, HSM and KMS processes; Schematics in-process.
describe('Schematics KYOK: workspaces under Hyper Protect Crypto Services root keys', () => {
  let s: SchematicsSuite;
  let app: RunningService;
  let db: Client;
  let own: RootKey;
  let keyProtect: RootKey;
  let euKeyProtect: RootKey;
  let primary: RootKey;
  let secondary: RootKey;
  let euHpcs: { guid: string; crn: string };
  let older: { id: string; crn: string };
  let newer: { id: string; crn: string };
  const secret = `kyok-${randomBytes(12).toString('hex')}`;
  const stateText = `{"resources":[{"token":"${randomBytes(12).toString('hex')}"}]}`;
  const api = (method: string, path: string, body?: unknown) => call(app.url, s.admin, method, path, body);
  const row = async (id: string) => (await db.query('SELECT * FROM workspaces WHERE id = $1', [id])).rows[0];
  const keyAction = (key: RootKey, method: string, path: string) => call(s.kmsUrl, s.admin, method, `/api/v2/keys/${key.id}${path}`, undefined, { 'bluemix-instance': key.instance });
  const workspaceBody = { name: 'ws-kyok', location: 'us', resource_group: 'default', variables: [{ name: 'api_key', value: secret, secure: true }] };
  const settings = (over: Record<string, unknown> = {}) => ({
    location: 'us',
    encryption_scheme: 'kyok',
    resource_group: 'default',
    primary_crk: { kms_name: 'hpcs-primary', key_crn: primary.crn, kms_private_endpoint: s.kmsUrl },
    secondary_crk: { kms_name: 'hpcs-secondary', key_crn: secondary.crn, kms_private_endpoint: s.kmsUrl },
    ...over,
  });

  beforeAll(async () => {
    s = await startSchematicsSuite();
    const ownInstance = await s.instance();
    own = await s.rootKey(ownInstance.guid);
    await s.grantSchematics(ownInstance.guid);
    // A Key Protect instance in the same location: BYOK, so never offered for KYOK.
    const kpInstance = await s.instance('kms', 'us-south');
    keyProtect = await s.rootKey(kpInstance.guid);
    await s.grantSchematics(kpInstance.guid);
    euKeyProtect = await s.rootKey((await s.instance('kms', 'eu-de')).guid);
    const primaryHpcs = await s.hpcsInstance('us-south');
    const secondaryHpcs = await s.hpcsInstance('us-east');
    euHpcs = await s.hpcsInstance('eu-de');
    primary = await s.rootKey(primaryHpcs.guid);
    secondary = await s.rootKey(secondaryHpcs.guid);
    await s.grantSchematics(primaryHpcs.guid, 'Reader', 'hs-crypto');
    // The secondary's authorization is granted in a test, after the pre-flight names it missing.
    app = await s.startSchematics({ KEYWARD_SCHEMATICS_DEFAULT_KEY_CRN: own.crn });
    db = new Client({ connectionString: s.suite.databases.schematics?.url });
    await db.connect();
  }, 240_000);

  afterAll(async () => {
    await db?.end();
    await s?.close();
  }, 60_000);

  it('lists only Hyper Protect Crypto Services instances of the location for kyok, each with its root keys', async () => {
    const kyok = await api('GET', '/v2/settings/kms/instances?location=us&scheme=kyok');
    expect(kyok.status).toBe(200);
    const listed = kyok.body.kms_instances as { kms_crn: string; encryption_scheme: string; location: string; keys: { crn: string }[] }[];
    expect(listed.every((i) => i.kms_crn.includes(':hs-crypto:') && i.encryption_scheme === 'kyok' && i.location === 'us')).toBe(true);
    const keysOf = (instance: string) => listed.find((i) => i.kms_crn.endsWith(`:${instance}::`))?.keys.map((k) => k.crn);
    expect(keysOf(primary.instance)).toEqual([primary.crn]);
    expect(keysOf(secondary.instance)).toEqual([secondary.crn]);
    expect(JSON.stringify(kyok.body)).not.toContain(keyProtect.instance);
    expect(JSON.stringify(kyok.body)).not.toContain(euHpcs.guid);
    expect(kyok.body.total_count).toBe(listed.length);

    // byok: the Key Protect instances, never an HPCS one; eu kyok: the eu HPCS instance only.
    const byok = await api('GET', '/v2/settings/kms/instances?location=us&scheme=byok');
    expect(JSON.stringify(byok.body)).toContain(keyProtect.crn);
    expect(JSON.stringify(byok.body)).not.toContain(':hs-crypto:');
    const eu = await api('GET', '/v2/settings/kms/instances?location=eu&scheme=kyok');
    expect(eu.body.kms_instances.map((i: { kms_crn: string }) => i.kms_crn)).toEqual([euHpcs.crn]);
  });

  it('offers a user only the instances whose keys that user may read', async () => {
    const user = await call(s.iamUrl, s.admin, 'POST', '/v1/users', { name: `dave-${randomBytes(3).toString('hex')}` });
    expect(user.status).toBe(201);
    const apiKey = await call(s.iamUrl, s.admin, 'POST', '/v1/apikeys', { name: 'dave-key', iam_id: user.body.iam_id });
    const grant = async (serviceName: string, role: string, instance?: string) => {
      const policy = await call(s.iamUrl, s.admin, 'POST', '/v2/policies', {
        type: 'access',
        subject: { attributes: [{ key: 'iam_id', operator: 'stringEquals', value: user.body.iam_id }] },
        resource: {
          attributes: [
            { key: 'accountId', operator: 'stringEquals', value: s.account },
            { key: 'serviceName', operator: 'stringEquals', value: serviceName },
            ...(instance ? [{ key: 'serviceInstance', operator: 'stringEquals', value: instance }] : []),
          ],
        },
        control: { grant: { roles: [{ role_id: `crn:v1:bluemix:public:iam::::serviceRole:${role}` }] } },
      });
      expect(policy.status).toBe(201);
    };
    // KMS settings are Manager-only on Schematics (libs/contracts SERVICE_ROLE_ACTIONS); Reader on one HPCS instance.
    await grant('schematics', 'Manager');
    await grant('hs-crypto', 'Reader', primary.instance);
    const dave = await iamTokenFor(s.iamUrl, apiKey.body.apikey as string);
    await expectEventually(async () => {
      const listed = await call(app.url, dave, 'GET', '/v2/settings/kms/instances?location=us&scheme=kyok');
      expect(listed.status).toBe(200);
      expect(listed.body.kms_instances.map((i: { kms_crn: string; keys: { crn: string }[] }) => [i.kms_crn.split(':')[7], i.keys.map((k) => k.crn)])).toEqual([[primary.instance, [primary.crn]]]);
    });
  });

  it('creates a workspace under Schematics’ own key before KYOK is enabled', async () => {
    const created = await api('POST', '/v1/workspaces', workspaceBody);
    expect(created.status).toBe(201);
    expect(created.body.encryption).toEqual([{ role: 'default', key_crn: own.crn, key_version: expect.any(String) }]);
    older = created.body;
    expect((await api('PUT', `/v1/workspaces/${older.id}/state`, { state: stateText })).status).toBe(204);
  });

  it('refuses a Key Protect key for kyok, names the missing Schematics → HPCS authorization, then enables once', async () => {
    const byokKey = await api('PUT', '/v2/settings/kms', settings({ secondary_crk: { kms_name: 'kp', key_crn: keyProtect.crn, kms_private_endpoint: s.kmsUrl } }));
    expect(byokKey.status).toBe(400);
    expect(byokKey.body.errors[0]).toMatchObject({ code: 'INVALID_FIELD_ERR', message: expect.stringMatching(/secondary_crk.key_crn: encryption_scheme kyok needs a Hyper Protect Crypto Services/) });

    const missing = await api('PUT', '/v2/settings/kms', settings());
    expect(missing.status).toBe(403);
    expect(missing.body.errors[0].code).toBe('KMS_AUTHORIZATION_MISSING_ERR');
    expect(missing.body.errors[0].message).toContain(`Hyper Protect Crypto Services instance ${secondary.instance}`);
    expect(missing.body.errors[0].message).toMatch(/Reader/);
    // Nothing half-written: the refused change left no setting behind.
    expect((await api('GET', '/v2/settings/kms?location=us')).status).toBe(404);

    await s.grantSchematics(secondary.instance, 'Reader', 'hs-crypto');
    const enabled = await api('PUT', '/v2/settings/kms', settings());
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({
      location: 'us',
      encryption_scheme: 'kyok',
      primary_crk: { kms_name: 'hpcs-primary', key_crn: primary.crn, kms_private_endpoint: s.kmsUrl },
      secondary_crk: { kms_name: 'hpcs-secondary', key_crn: secondary.crn, kms_private_endpoint: s.kmsUrl },
      reencryption: { total_workspaces: 1 },
    });

    const again = await api('PUT', '/v2/settings/kms', settings({ encryption_scheme: 'byok', primary_crk: { kms_name: 'kp', key_crn: keyProtect.crn, kms_private_endpoint: s.kmsUrl }, secondary_crk: undefined }));
    expect(again.status).toBe(409);
    expect(again.body.errors[0].message).toMatch(/one-time setting.*support request/);
    expect((await api('GET', '/v2/settings/kms?location=us')).body).toMatchObject({ encryption_scheme: 'kyok', primary_crk: { key_crn: primary.crn } });
  });

  it('moves the older workspace to both HPCS keys in the background, and wraps new ones by both', async () => {
    await expectEventually(async () => {
      expect((await api('GET', '/v2/settings/kms?location=us')).body.reencryption).toEqual({ state: 'done', total_workspaces: 1, pending_workspaces: 0 });
    }, { timeoutMs: 30_000 });
    const moved = await row(older.id);
    expect(moved.key_source).toBe('settings');
    expect(moved.data_keys.map((k: { role: string; keyCrn: string }) => [k.role, k.keyCrn])).toEqual([
      ['primary', primary.crn],
      ['secondary', secondary.crn],
    ]);
    expect((await api('GET', `/v1/workspaces/${older.id}/state`)).body).toEqual({ state: stateText });

    const created = await api('POST', '/v1/workspaces', workspaceBody);
    expect(created.status).toBe(201);
    newer = created.body;
    expect(created.body.encryption.map((k: { role: string; key_crn: string }) => [k.role, k.key_crn])).toEqual([
      ['primary', primary.crn],
      ['secondary', secondary.crn],
    ]);
    const stored = await row(newer.id);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored.variables[0]).toEqual({ name: 'api_key', sensitive: true, sealed: expect.any(String) });
    expect(stored.data_keys.every((k: { wrappedDek: string }) => typeof k.wrappedDek === 'string' && k.wrappedDek.length > 0)).toBe(true);

    // Each HPCS key knows both workspaces use it (preventKeyDeletion false); Schematics' own key no longer knows the moved one.
    for (const key of [primary, secondary]) {
      const registrations = await keyAction(key, 'GET', '/registrations');
      expect(registrations.status).toBe(200);
      for (const workspace of [older, newer]) {
        expect(registrations.body.resources).toContainEqual(expect.objectContaining({ resourceCrn: workspace.crn, preventKeyDeletion: false }));
      }
    }
    expect(JSON.stringify((await keyAction(own, 'GET', '/registrations')).body.resources ?? [])).not.toContain(older.crn);
  }, 60_000);

  it('reads through the secondary HPCS key when the primary is disabled, then deleted; fails with a 409 only when the secondary’s domain is sealed too', async () => {
    expect((await keyAction(primary, 'POST', '/actions/disable')).status).toBe(204);
    const whileDisabled = await api('GET', `/v1/workspaces/${newer.id}/variables`);
    expect(whileDisabled.status).toBe(200);
    expect(whileDisabled.body.variables).toEqual([{ name: 'api_key', secure: true, value: secret }]);
    expect(s.logs.lines.some((line) => line.includes('KMS failover') && line.includes(primary.crn))).toBe(true);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/keyward_schematics_kms_failovers_total\{[^}]*from_role="primary"[^}]*\} [1-9]/);

    const deleted = await keyAction(primary, 'DELETE', '?force=true');
    expect(deleted.status).toBeLessThan(300);
    expect((await api('GET', `/v1/workspaces/${older.id}/state`)).body).toEqual({ state: stateText });

    // The customer seals the secondary's HSM domain (KYOK: their own master key): no key is usable now.
    const sealed = await call(s.kmsUrl, s.admin, 'POST', `/crypto_v1/instances/${secondary.instance}/seal`);
    expect(sealed.status).toBe(200);
    const refused = await api('GET', `/v1/workspaces/${older.id}/state`);
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0].code).toBe('KMS_KEY_UNAVAILABLE_ERR');
    expect(refused.text).not.toContain(stateText);
  }, 60_000);

  it('accepts a key in another account when an authorization there covers the customer’s account (primary only)', async () => {
    const other = await call(s.iamUrl, s.admin, 'POST', '/v1/accounts', { name: 'schematics-customer-b' });
    expect(other.status).toBe(201);
    const accountB = other.body.id as string;
    const boss = await call(s.iamUrl, s.admin, 'POST', '/v1/users', { name: 'boss-b', account_id: accountB, administrator: true });
    const bossKey = await call(s.iamUrl, s.admin, 'POST', '/v1/apikeys', { name: 'boss-b-key', iam_id: boss.body.iam_id });
    const customerB = await iamTokenFor(s.iamUrl, bossKey.body.apikey as string);
    const asB = (method: string, path: string, body?: unknown) => call(app.url, customerB, method, path, body);
    const body = {
      location: 'eu',
      encryption_scheme: 'byok',
      resource_group: 'default',
      primary_crk: { kms_name: 'kp-in-account-a', key_crn: euKeyProtect.crn, kms_private_endpoint: s.kmsUrl },
    };

    // The key's account (A) has no authorization for account B's Schematics yet: named, with the command.
    const missing = await asB('PUT', '/v2/settings/kms', body);
    expect(missing.status).toBe(403);
    expect(missing.body.errors[0].code).toBe('KMS_AUTHORIZATION_MISSING_ERR');
    expect(missing.body.errors[0].message).toContain(euKeyProtect.instance);
    expect(missing.body.errors[0].message).toContain(`--source-service-account ${accountB}`);

    const policy = await call(s.iamUrl, s.admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: accountB }, { key: 'serviceName', operator: 'stringEquals', value: 'schematics' }] },
      resource: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: s.account },
          { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
          { key: 'serviceInstance', operator: 'stringEquals', value: euKeyProtect.instance },
        ],
      },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    });
    expect(policy.status).toBe(201);
    let enabled: Awaited<ReturnType<typeof asB>> | undefined;
    await expectEventually(async () => {
      enabled = await asB('PUT', '/v2/settings/kms', body);
      expect(enabled.status).toBe(200);
    });
    expect(enabled?.body).toMatchObject({ location: 'eu', encryption_scheme: 'byok', primary_crk: { key_crn: euKeyProtect.crn } });
    expect(enabled?.body.secondary_crk).toBeUndefined();

    const created = await asB('POST', '/v1/workspaces', { ...workspaceBody, location: 'eu' });
    expect(created.status).toBe(201);
    expect(created.body.crn).toContain(`:a/${accountB}::workspace:`);
    expect(created.body.encryption).toEqual([{ role: 'primary', key_crn: euKeyProtect.crn, key_version: expect.any(String) }]);
    expect((await asB('GET', `/v1/workspaces/${created.body.id}/variables`)).body.variables).toEqual([{ name: 'api_key', secure: true, value: secret }]);
    // Account A's own view of eu is untouched, and A cannot see B's workspace.
    expect((await api('GET', '/v2/settings/kms?location=eu')).status).toBe(404);
    expect((await api('GET', `/v1/workspaces/${created.body.id}`)).status).toBe(404);
  });

  it('never writes a sensitive value or the state to any log line', () => {
    const everything = [...s.logs.lines, ...s.peerLines].join('\n');
    expect(everything).toContain('KMS failover'); // the search is not blind
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(stateText);
  });
});
