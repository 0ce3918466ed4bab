import { expectEventually } from '@keyward/testing';
import { type AppConfigSuite, startAppConfigSuite } from '../testing/app-config-suite';

/**
 * Seed 000's lifecycle on real Postgres, NATS, IAM, HSM and KMS (all built), App Configuration holding
 * only a Reader authorization on the Key Protect instance: the KMS's events change what segment reads
 * and evaluations answer; deleting the instance removes its registration from the key at once; a purge makes the data
 * unrecoverable. The KMS's waits are shortened (enable, restore, purge) so nothing sleeps.
 */
jest.setTimeout(240_000);

const SHORT_WAITS = { KEYWARD_KMS_ENABLE_WAIT_MS: '1', KEYWARD_KMS_RESTORE_WAIT_MS: '1', KEYWARD_KMS_PURGE_WAIT_MS: '1', KEYWARD_KMS_ROTATION_INTERVAL_MS: '1' };
const EVENTUALLY = { timeoutMs: 20_000, intervalMs: 200 };

describe('App Configuration on root key lifecycle events', () => {
  let s: AppConfigSuite;

  beforeAll(async () => {
    s = await startAppConfigSuite({ kms: true, env: SHORT_WAITS });
  });

  afterAll(async () => {
    await s?.close();
  });

  async function connectedInstance() {
    const app = await s.instance('apprapp', 'enterprise');
    const kp = await s.instance('kms', 'standard');
    const key = await s.rootKey(kp.guid);
    await s.authorize(app.guid, kp.guid);
    const manager = await s.userWithRole('Manager', app.guid);
    const base = `/apprapp/feature/v1/instances/${app.guid}`;
    expect((await s.call(manager, 'POST', `${base}/environments`, { environment_id: 'prod', name: 'Prod' })).status).toBe(201);
    expect((await s.call(manager, 'POST', `${base}/segments`, { segment_id: 'staff', name: 'Staff', rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }] })).status).toBe(201);
    const flag = { type: 'BOOLEAN', enabled_value: true, disabled_value: false, enabled: true, rollout_percentage: 0 };
    expect((await s.call(manager, 'POST', `${base}/environments/prod/features`, { feature_id: 'beta', name: 'Beta', ...flag, segment_rules: [{ rules: [{ segments: ['staff'] }], value: true, order: 1 }] })).status).toBe(201);
    expect((await s.call(manager, 'POST', `${base}/environments/prod/features`, { feature_id: 'plain', name: 'Plain', ...flag })).status).toBe(201);
    const connected = await s.call(manager, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: key.crn });
    expect(connected.status).toBe(201);
    const keyCall = (method: string, path: string) => s.callAt(s.kmsUrl, s.admin, method, `/api/v2/keys/${key.id}${path}`, method === 'POST' ? {} : undefined, { 'bluemix-instance': kp.guid });
    const evaluate = (feature: string) => s.call(manager, 'POST', `${base}/environments/prod/features/${feature}/evaluate`, { entity_id: 'u1', entity_attributes: { email: 'ann@example.com' } });
    const segments = () => s.call(manager, 'GET', `${base}/segments`);
    return { app, kp, key, manager, base, keyCall, evaluate, segments };
  }

  it('follows rotate, disable, enable, delete (force) and restore, and unregisters a deleted instance from the still-existing key', async () => {
    const c = await connectedInstance();
    const firstVersion = (await s.call(c.manager, 'GET', `${c.base}/integrations`)).body.integrations[0].key_version_id;

    expect((await c.keyCall('POST', '/actions/rotate')).status).toBe(204);
    await expectEventually(async () => expect((await s.call(c.manager, 'GET', `${c.base}/integrations`)).body.integrations[0].key_version_id).not.toBe(firstVersion), EVENTUALLY);
    expect((await c.evaluate('beta')).body).toMatchObject({ value: true, reason: 'segment' });

    expect((await c.keyCall('POST', '/actions/disable')).status).toBe(204);
    await expectEventually(async () => {
      const refused = await c.segments();
      expect(refused.status).toBe(409);
      expect(refused.body.errors[0].code).toBe('KMS_KEY_UNAVAILABLE_ERR');
      expect(refused.body.errors[0].message).toContain('is disabled (state 2)');
    }, EVENTUALLY);
    expect((await c.evaluate('beta')).status).toBe(409);
    // A feature that needs no segment still evaluates.
    expect((await c.evaluate('plain')).body).toMatchObject({ value: false });
    expect((await s.call(c.manager, 'GET', `${c.base}/integrations`)).body.integrations[0].key_state).toBe('disabled');

    expect((await c.keyCall('POST', '/actions/enable')).status).toBe(204);
    await expectEventually(async () => expect((await c.segments()).status).toBe(200), EVENTUALLY);
    expect((await c.evaluate('beta')).body.value).toBe(true);

    // Registered: only a forced delete works, and the data then reads as deleted, restorable until a date.
    expect((await c.keyCall('DELETE', '')).status).toBe(409);
    expect((await c.keyCall('DELETE', '?force=true')).status).toBe(204);
    await expectEventually(async () => {
      const refused = await c.segments();
      expect(refused.status).toBe(409);
      expect(refused.body.errors[0].message).toMatch(/was deleted \(state 5\); it is restorable until \d{4}-\d\d-\d\dT/);
    }, EVENTUALLY);

    expect((await c.keyCall('POST', '/restore')).status).toBeLessThan(300);
    await expectEventually(async () => expect((await c.segments()).status).toBe(200), EVENTUALLY);
    expect((await c.evaluate('beta')).body.value).toBe(true);

    // Deleting the App Configuration instance removes its data and unregisters it from the KMS at
    // once: IAM keeps the instance as a tombstone, and the KMS lets App Configuration (the CRN's own
    // service) remove exactly that registration from the still-existing key. Nothing stays pending.
    const registered = async () => ((await c.keyCall('GET', '/registrations')).body.resources ?? []).map((r: { resourceCrn: string }) => r.resourceCrn);
    expect(await registered()).toEqual([c.app.crn]);
    expect((await s.callAt(s.iamUrl, s.admin, 'DELETE', `/v2/resource_instances/${c.app.guid}`)).status).toBe(204);
    await expectEventually(async () => expect(await registered()).toEqual([]), EVENTUALLY);
    await expectEventually(async () => {
      expect(s.logs.text()).toContain('registration removed from the KMS');
      expect((await s.call(s.admin, 'GET', '/apprapp/feature/v1/pending_unregistrations')).body.pending_unregistrations).toEqual([]);
    }, EVENTUALLY);
    const health = await fetch(`${s.app.url}/health`);
    expect(((await health.json()) as { checks: Record<string, { status: string; detail?: string }> }).checks['kms-unregistrations']).toEqual({ status: 'ok' });
    expect((await c.keyCall('GET', '')).status).toBe(200);
    expect((await c.segments()).status).toBe(404);
    // No DEK or plaintext rule ever reached a log line.
    expect(s.logs.text()).not.toContain('@example.com');
  });

  it('reports the data as unrecoverable once the key is purged', async () => {
    const c = await connectedInstance();
    expect((await c.keyCall('DELETE', '?force=true')).status).toBe(204);
    await expectEventually(async () => expect((await c.segments()).status).toBe(409), EVENTUALLY);
    await expectEventually(async () => expect((await c.keyCall('DELETE', '/purge')).status).toBeLessThan(300), { timeoutMs: 10_000, intervalMs: 250 });
    await expectEventually(async () => {
      const gone = await c.segments();
      expect(gone.status).toBe(410);
      expect(gone.body.errors[0]).toMatchObject({ code: 'KMS_KEY_PURGED_ERR' });
      expect(gone.body.errors[0].message).toContain('unrecoverable');
    }, EVENTUALLY);
    expect((await c.evaluate('beta')).status).toBe(410);
  });
});
