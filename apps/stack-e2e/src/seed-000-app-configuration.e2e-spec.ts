import { appUrlEnvName } from '@keyward/contracts';
import { expectEventually, iamTokenFor } from '@keyward/testing';

const url = (app: 'iam' | 'kms' | 'app-configuration') => process.env[appUrlEnvName(app)] as string;

async function call(base: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Seed 000 ("Integrating with Key Management") over HTTP against the built stack, App Configuration
 * holding only a **Reader** authorization on the Key Protect instance. The stack runs with Key
 * Protect's real windows (30 s before enable and restore; purge 4 h after delete), so the purge and
 * the table read are covered by apps/app-configuration's seed-000.e2e-spec.ts (its own built stack,
 * the windows shortened, the database read directly).
 */
jest.setTimeout(300_000);

describe('seed 000: App Configuration segment data under a customer root key', () => {
  let admin: string;
  let account: string;

  beforeAll(async () => {
    admin = await iamTokenFor(url('iam'), process.env['KEYWARD_ADMIN_APIKEY'] as string);
    account = (JSON.parse(Buffer.from(admin.split('.')[1] as string, 'base64url').toString()) as { account: { bss: string } }).account.bss;
  });

  const instance = async (service: string, plan: string) => {
    const created = await call(url('iam'), admin, 'POST', '/v2/resource_instances', { name: `seed-000-${service}`, service, plan, target: 'us-south' });
    expect(created.status).toBe(201);
    return created.body as { guid: string; crn: string };
  };

  it('connects, follows rotate, disable, enable, delete and restore, and unregisters a deleted instance from the still-existing key', async () => {
    const app = await instance('apprapp', 'enterprise');
    const kp = await instance('kms', 'tiered-pricing');
    const kms = (method: string, path: string, body?: unknown) => call(url('kms'), admin, method, path, body, { 'bluemix-instance': kp.guid });
    const key = await kms('POST', '/api/v2/keys', {
      metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
      resources: [{ type: 'application/vnd.ibm.kms.key+json', name: 'seed-000-root', extractable: false }],
    });
    expect(key.status).toBe(201);
    const { id: keyId, crn: keyCrn } = key.body.resources[0];
    // A user who manages this App Configuration instance.
    const user = await call(url('iam'), admin, 'POST', '/v1/users', { name: 'seed-000-manager' });
    const apikey = await call(url('iam'), admin, 'POST', '/v1/apikeys', { name: 'seed-000-manager-key', iam_id: user.body.iam_id });
    expect(
      (
        await call(url('iam'), admin, 'POST', '/v1/policies', {
          type: 'access',
          subjects: [{ attributes: [{ name: 'iam_id', value: user.body.iam_id }] }],
          roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Manager' }],
          resources: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }, { name: 'serviceInstance', value: app.guid }] }],
        })
      ).status,
    ).toBe(201);
    const manager = await iamTokenFor(url('iam'), apikey.body.apikey);
    const ac = (method: string, path: string, body?: unknown) => call(url('app-configuration'), manager, method, `/apprapp/feature/v1/instances/${app.guid}${path}`, body);

    // Without the authorization, the integration names it.
    const missing = await ac('POST', '/integrations', { service: 'kms', root_key_crn: keyCrn });
    expect(missing.status).toBe(403);
    expect(missing.body.errors[0].message).toContain('keyward iam authorization-policy-create apprapp kms Reader');
    expect(
      (
        await call(url('iam'), admin, 'POST', '/v1/policies', {
          type: 'authorization',
          subjects: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }, { name: 'serviceInstance', value: app.guid }] }],
          roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }],
          resources: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'kms' }, { name: 'serviceInstance', value: kp.guid }] }],
        })
      ).status,
    ).toBe(201);
    await expectEventually(async () => expect((await ac('POST', '/integrations', { service: 'kms', root_key_crn: keyCrn })).status).toBe(201), { timeoutMs: 70_000, intervalMs: 1000 });
    expect((await ac('GET', '/integrations')).body.integrations[0]).toMatchObject({ root_key_crn: keyCrn, key_state: 'active' });
    expect((await ac('POST', '/segments', { segment_id: 'staff', name: 'Staff', rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }] })).status).toBe(201);
    const registrations = await kms('GET', `/api/v2/keys/${keyId}/registrations`);
    expect(registrations.body.resources).toEqual([expect.objectContaining({ resourceCrn: app.crn, preventKeyDeletion: false })]);

    const firstVersion = (await ac('GET', '/integrations')).body.integrations[0].key_version_id;
    expect((await kms('POST', `/api/v2/keys/${keyId}/actions/rotate`, {})).status).toBe(204);
    await expectEventually(async () => expect((await ac('GET', '/integrations')).body.integrations[0].key_version_id).not.toBe(firstVersion), { timeoutMs: 20_000 });

    expect((await kms('POST', `/api/v2/keys/${keyId}/actions/disable`, {})).status).toBe(204);
    await expectEventually(async () => expect((await ac('GET', '/segments')).body.errors?.[0]?.message).toContain('is disabled (state 2)'), { timeoutMs: 20_000 });
    // Key Protect lets a key be enabled 30 s after it was disabled.
    await expectEventually(async () => expect((await kms('POST', `/api/v2/keys/${keyId}/actions/enable`, {})).status).toBe(204), { timeoutMs: 60_000, intervalMs: 2000 });
    await expectEventually(async () => expect((await ac('GET', '/segments')).status).toBe(200), { timeoutMs: 20_000 });

    expect((await kms('DELETE', `/api/v2/keys/${keyId}?force=true`)).status).toBe(204);
    await expectEventually(async () => expect((await ac('GET', '/segments')).body.errors?.[0]?.message).toMatch(/deleted \(state 5\); it is restorable until/), { timeoutMs: 20_000 });
    await expectEventually(async () => expect((await kms('POST', `/api/v2/keys/${keyId}/restore`, {})).status).toBeLessThan(300), { timeoutMs: 60_000, intervalMs: 2000 });
    await expectEventually(async () => expect((await ac('GET', '/segments')).status).toBe(200), { timeoutMs: 20_000 });

    // Deleting the instance unregisters it from the still-existing key (issue 9): IAM keeps a tombstone
    // and the KMS lets App Configuration remove its own CRN's registration; nothing stays pending.
    expect((await call(url('iam'), admin, 'DELETE', `/v2/resource_instances/${app.guid}`)).status).toBe(204);
    await expectEventually(async () => {
      const registered = (await kms('GET', `/api/v2/keys/${keyId}/registrations`)).body?.resources ?? [];
      expect(registered.map((r: { resourceCrn: string }) => r.resourceCrn)).not.toContain(app.crn);
      const pending = (await call(url('app-configuration'), admin, 'GET', '/apprapp/feature/v1/pending_unregistrations')).body.pending_unregistrations;
      expect(pending.filter((entry: { resource_crn: string }) => entry.resource_crn === app.crn)).toEqual([]);
    }, { timeoutMs: 20_000 });
    expect((await kms('GET', `/api/v2/keys/${keyId}`)).status).toBe(200);
  });
});
