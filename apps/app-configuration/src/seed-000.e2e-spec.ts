import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken, callJson, createHsmDevEnv, createSuiteContext, expectEventually, iamTokenFor, repoRoot } from '@keyward/testing';

/**
 * Seed 000 ("Integrating with Key Management") as a customer runs it: IAM, HSM, KMS and App
 * Configuration as built processes on real Postgres and NATS, the authorization created with the
 * `keyward` CLI command the pre-flight names, and App Configuration holding only that **Reader**
 * authorization on the Key Protect instance. The KMS's windows (enable, restore, purge) are shortened
 * so nothing sleeps; apps/stack-e2e's seed-000 runs the same flow against Key Protect's real windows.
 */
jest.setTimeout(300_000);

const APPS = ['iam', 'hsm', 'kms', 'app-configuration'] as const;
const SHORT_WAITS = { KEYWARD_KMS_ENABLE_WAIT_MS: '1', KEYWARD_KMS_RESTORE_WAIT_MS: '1', KEYWARD_KMS_PURGE_WAIT_MS: '1' };
const EVENTUALLY = { timeoutMs: 30_000, intervalMs: 250 };

describe('seed 000: App Configuration segment data under a customer root key (e2e)', () => {
  let suite: SuiteContext;
  let stack: RunningStack;
  let appDb: Client;
  let kmsDb: Client;
  let work: string;
  let admin: string;
  let account: string;
  const url = (app: (typeof APPS)[number]) => stack.services.find((service) => service.app === app)?.url as string;

  const keyward = (args: string[]) => {
    const run = spawnSync(process.execPath, [join(repoRoot(), 'apps', 'cli', 'bin', 'keyward.js'), ...args], {
      env: { PATH: process.env['PATH'], HOME: work, KEYWARD_CONFIG_DIR: join(work, 'config'), KEYWARD_APIKEY: suite.adminApiKey },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const instance = async (service: string, plan: string) => {
    const created = await callJson(url('iam'), admin, 'POST', '/v2/resource_instances', { name: `seed-000-${service}-${Date.now()}`, service, plan, target: 'us-south' });
    expect(created.status).toBe(201);
    return created.body as { guid: string; crn: string };
  };
  const kms = (kpGuid: string, method: string, path: string, body?: unknown) => callJson(url('kms'), admin, method, path, body, { 'bluemix-instance': kpGuid });
  const rootKey = async (kpGuid: string) => {
    const created = await kms(kpGuid, 'POST', '/api/v2/keys', {
      metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
      resources: [{ type: 'application/vnd.ibm.kms.key+json', name: 'seed-000-root', extractable: false }],
    });
    expect(created.status).toBe(201);
    return created.body.resources[0] as { id: string; crn: string };
  };
  /** A user with `role` on one App Configuration instance (an access policy, as the console makes it). */
  const userWithRole = async (role: 'Reader' | 'Manager', appGuid: string) => {
    const name = `seed-000-${role.toLowerCase()}-${appGuid.slice(0, 8)}`;
    const user = await callJson(url('iam'), admin, 'POST', '/v1/users', { name });
    const apikey = await callJson(url('iam'), admin, 'POST', '/v1/apikeys', { name: `${name}-key`, iam_id: user.body.iam_id });
    const policy = await callJson(url('iam'), admin, 'POST', '/v1/policies', {
      type: 'access',
      subjects: [{ attributes: [{ name: 'iam_id', value: user.body.iam_id }] }],
      roles: [{ role_id: `crn:v1:bluemix:public:iam::::serviceRole:${role}` }],
      resources: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }, { name: 'serviceInstance', value: appGuid }] }],
    });
    expect(policy.status).toBe(201);
    return iamTokenFor(url('iam'), apikey.body.apikey);
  };
  /** Enterprise instance, Manager and Reader users, an environment, the `staff` segment and two features: one using it, one not. */
  const configuredInstance = async () => {
    const app = await instance('apprapp', 'enterprise');
    const manager = await userWithRole('Manager', app.guid);
    const reader = await userWithRole('Reader', app.guid);
    const ac = (token: string, method: string, path: string, body?: unknown) => callJson(url('app-configuration'), token, method, `/apprapp/feature/v1/instances/${app.guid}${path}`, body);
    expect((await ac(manager, 'POST', '/environments', { environment_id: 'prod', name: 'Production' })).status).toBe(201);
    const flag = { type: 'BOOLEAN', enabled_value: true, disabled_value: false, enabled: true, rollout_percentage: 0 };
    const segments = () => ac(reader, 'GET', '/segments');
    const evaluate = (feature: string) => ac(reader, 'POST', `/environments/prod/features/${feature}/evaluate`, { entity_id: 'ann', entity_attributes: { email: 'ann@example.com', country: 'DE' } });
    return { app, manager, reader, ac, flag, segments, evaluate };
  };
  /** The acknowledgements the KMS expects from `resourceCrn`: [event type (`rotated`…), acked] in event order. */
  const acksOf = async (resourceCrn: string) =>
    (
      await kmsDb.query<{ event_type: string; acked: boolean }>(
        'SELECT e.event_type, a.acked_at IS NOT NULL AS acked FROM key_event_acks a JOIN key_events e ON e.id = a.event_id WHERE a.resource_crn = $1 ORDER BY e.created_at',
        [resourceCrn],
      )
    ).rows.map((row) => [row.event_type, row.acked]);

  beforeAll(async () => {
    suite = await createSuiteContext([...APPS]);
    const hsmEnv = createHsmDevEnv();
    const ports: Record<string, number> = {};
    for (const app of APPS) ports[app] = await findFreePort();
    stack = await startStack({
      root: repoRoot(),
      apps: [...APPS],
      env: { PATH: process.env['PATH'] },
      perAppEnv: (app) => ({ ...suite.envFor(app), ...(app === 'hsm' ? hsmEnv : {}), ...(app === 'kms' ? SHORT_WAITS : {}) }),
      ports,
      onOutput: () => undefined,
    });
    admin = await iamTokenFor(url('iam'), suite.adminApiKey);
    account = accountOfToken(admin);
    appDb = new Client({ connectionString: suite.databases['app-configuration']?.url });
    kmsDb = new Client({ connectionString: suite.databases.kms?.url });
    await appDb.connect();
    await kmsDb.connect();
    work = mkdtempSync(join(tmpdir(), 'keyward-seed-000-'));
    expect(keyward(['login', '--endpoint', url('iam')]).status).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await appDb?.end();
    await kmsDb?.end();
    await stack?.stop();
    await suite?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('connects under a Reader-only authorization, stores only ciphertext, and follows rotate, disable, enable, delete (force), restore and the instance’s deletion', async () => {
    const c = await configuredInstance();
    const kp = await instance('kms', 'tiered-pricing');
    const key = await rootKey(kp.guid);
    expect((await c.ac(c.manager, 'POST', '/segments', { segment_id: 'staff', name: 'Staff', rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }] })).status).toBe(201);
    expect((await c.ac(c.manager, 'POST', '/segments', { segment_id: 'dach', name: 'DACH', rules: [{ attribute_name: 'country', operator: 'in', values: ['DE', 'AT', 'CH'] }] })).status).toBe(201);
    expect((await c.ac(c.manager, 'POST', '/environments/prod/features', { feature_id: 'beta', name: 'Beta', ...c.flag, segment_rules: [{ rules: [{ segments: ['staff'] }], value: true, order: 1 }] })).status).toBe(201);
    expect((await c.ac(c.manager, 'POST', '/environments/prod/features', { feature_id: 'plain', name: 'Plain', ...c.flag })).status).toBe(201);
    const connect = () => c.ac(c.manager, 'POST', '/integrations', { service: 'kms', root_key_crn: key.crn });

    // Without the authorization the connect names it and the CLI command; that command, run as is, creates it.
    const missing = await connect();
    expect([missing.status, missing.body.errors[0].code]).toEqual([403, 'KMS_AUTHORIZATION_MISSING_ERR']);
    const command = /Create it with: (keyward iam authorization-policy-create .*)$/.exec(missing.body.errors[0].message as string)?.[1];
    expect(command).toBe(`keyward iam authorization-policy-create apprapp kms Reader --source-service-instance-id ${c.app.guid} --target-service-instance-id ${kp.guid}`);
    expect(await kms(kp.guid, 'GET', `/api/v2/keys/${key.id}/registrations`).then((r) => r.body.resources ?? [])).toHaveLength(0);
    const created = keyward((command as string).split(' ').slice(1));
    if (created.status !== 0) throw new Error(`${command} failed (${created.status}): ${created.stderr}`);
    // The only authorization App Configuration has on the key: Reader.
    const policies = await callJson(url('iam'), admin, 'GET', `/v1/policies?account_id=${account}&type=authorization`);
    const granted = (policies.body.policies as Array<{ subjects: Array<{ attributes: Array<{ name: string; value: string }> }>; roles: Array<{ display_name: string }> }>).filter((policy) =>
      policy.subjects[0]?.attributes.some((attribute) => attribute.name === 'serviceInstance' && attribute.value === c.app.guid),
    );
    expect(granted.map((policy) => policy.roles.map((role) => role.display_name))).toEqual([['Reader']]);

    const connected = await expectEventually(async () => {
      const answer = await connect();
      expect(answer.status).toBe(201);
      return answer;
    }, EVENTUALLY);
    expect(connected.body).toMatchObject({ service_name: 'Key Protect', root_key_crn: key.crn, registered_crn: c.app.crn, key_state: 'active' });
    // "Connected instance", visible to a Reader too.
    expect((await c.ac(c.reader, 'GET', '/integrations')).body).toMatchObject({ total_count: 1, integrations: [{ root_key_id: key.id, kms_instance_id: kp.guid }] });
    expect((await kms(kp.guid, 'GET', `/api/v2/keys/${key.id}/registrations`)).body.resources).toEqual([expect.objectContaining({ resourceCrn: c.app.crn, preventKeyDeletion: false })]);
    expect((await connect()).body.errors[0].code).toBe('KMS_INTEGRATION_EXISTS_ERR');

    // A segment created now; the table holds only ciphertext (the two earlier segments were re-encrypted).
    expect((await c.ac(c.manager, 'POST', '/segments', { segment_id: 'testers', name: 'Testers', rules: [{ attribute_name: 'email', operator: 'contains', values: ['+qa@'] }] })).status).toBe(201);
    const rows = (await appDb.query<{ segment_id: string; rules: unknown; rules_ciphertext: string | null }>('SELECT segment_id, rules, rules_ciphertext FROM segments WHERE instance_guid = $1 ORDER BY segment_id', [c.app.guid])).rows;
    expect(rows.map((row) => [row.segment_id, row.rules])).toEqual([['dach', null], ['staff', null], ['testers', null]]);
    for (const row of rows) {
      expect(row.rules_ciphertext).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(Buffer.from(row.rules_ciphertext as string, 'base64').toString('latin1')).not.toMatch(/example\.com|endsWith|DE|\+qa@/);
    }
    const stored = async () => (await appDb.query<{ wrapped_dek: string; key_version_id: string }>('SELECT wrapped_dek, key_version_id FROM kms_integrations WHERE instance_guid = $1', [c.app.guid])).rows[0] as { wrapped_dek: string; key_version_id: string };
    const firstWrap = await stored();
    expect((await c.segments()).body.segments.map((segment: { segment_id: string }) => segment.segment_id)).toEqual(['dach', 'staff', 'testers']);
    expect((await c.evaluate('beta')).body).toMatchObject({ value: true, reason: 'segment' });

    // Rotate: the data key is rewrapped under the new version (stored), and everything still reads.
    expect((await kms(kp.guid, 'POST', `/api/v2/keys/${key.id}/actions/rotate`, {})).status).toBe(204);
    await expectEventually(async () => expect((await stored()).key_version_id).not.toBe(firstWrap.key_version_id), EVENTUALLY);
    const rewrapped = await stored();
    expect(rewrapped.wrapped_dek).not.toBe(firstWrap.wrapped_dek);
    const versions = ((await kms(kp.guid, 'GET', `/api/v2/keys/${key.id}/versions`)).body.resources as Array<{ id: string }>).map((version) => version.id);
    expect(versions).toEqual(expect.arrayContaining([firstWrap.key_version_id, rewrapped.key_version_id]));
    expect((await c.evaluate('beta')).body.value).toBe(true);

    // Disable: segment reads and evaluations that need segments fail naming the key state; others still work.
    expect((await kms(kp.guid, 'POST', `/api/v2/keys/${key.id}/actions/disable`, {})).status).toBe(204);
    await expectEventually(async () => {
      const refused = await c.segments();
      expect([refused.status, refused.body.errors?.[0]?.code]).toEqual([409, 'KMS_KEY_UNAVAILABLE_ERR']);
      expect(refused.body.errors[0].message).toContain(`root key ${key.id}`);
      expect(refused.body.errors[0].message).toContain('is disabled (state 2)');
    }, EVENTUALLY);
    expect((await c.evaluate('beta')).status).toBe(409);
    expect((await c.evaluate('plain')).body).toMatchObject({ value: false, reason: 'rollout' });
    expect((await c.ac(c.reader, 'GET', '/integrations')).body.integrations[0].key_state).toBe('disabled');

    // Enable: works again.
    expect((await kms(kp.guid, 'POST', `/api/v2/keys/${key.id}/actions/enable`, {})).status).toBe(204);
    await expectEventually(async () => expect((await c.segments()).status).toBe(200), EVENTUALLY);
    expect((await c.evaluate('beta')).body.value).toBe(true);

    // Delete: the key is registered, so only `force` deletes it; the data then reads as deleted, restorable until a date.
    const unforced = await kms(kp.guid, 'DELETE', `/api/v2/keys/${key.id}`);
    expect(unforced.status).toBe(409);
    expect((await kms(kp.guid, 'DELETE', `/api/v2/keys/${key.id}?force=true`)).status).toBe(204);
    await expectEventually(async () => {
      const refused = await c.segments();
      expect(refused.status).toBe(409);
      expect(refused.body.errors[0].message).toMatch(/was deleted \(state 5\); it is restorable until (\d{4}-\d\d-\d\dT[\d:.]+Z)/);
    }, EVENTUALLY);
    const until = /restorable until (\S+)$/.exec((await c.segments()).body.errors[0].message as string)?.[1] as string;
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(29 * 24 * 3600_000);
    expect((await c.evaluate('beta')).status).toBe(409);

    // Restore: works again.
    await expectEventually(async () => expect((await kms(kp.guid, 'POST', `/api/v2/keys/${key.id}/restore`, {})).status).toBeLessThan(300), EVENTUALLY);
    await expectEventually(async () => expect((await c.segments()).status).toBe(200), EVENTUALLY);
    expect((await c.evaluate('beta')).body.value).toBe(true);

    // Every event was acknowledged to the KMS (`event_ack`).
    await expectEventually(
      async () =>
        expect(await acksOf(c.app.crn)).toEqual([
          ['rotated', true],
          ['disabled', true],
          ['enabled', true],
          ['deleted', true],
          ['restored', true],
        ]),
      EVENTUALLY,
    );

    // Deleting the App Configuration instance unregisters it from the still-existing key at once: the
    // KMS lets App Configuration remove exactly the removed instance's registration (docs/KMS.md
    // "Removed source instances"), so nothing is left pending.
    expect((await callJson(url('iam'), admin, 'DELETE', `/v2/resource_instances/${c.app.guid}`)).status).toBe(204);
    await expectEventually(async () => {
      const left = (await kms(kp.guid, 'GET', `/api/v2/keys/${key.id}/registrations`)).body?.resources ?? [];
      expect(left).toEqual([]);
    }, EVENTUALLY);
    const pending = (await callJson(url('app-configuration'), admin, 'GET', '/apprapp/feature/v1/pending_unregistrations')).body.pending_unregistrations;
    expect(pending).toEqual([]);
    expect((await kms(kp.guid, 'GET', `/api/v2/keys/${key.id}`)).status).toBe(200);
    expect((await appDb.query('SELECT 1 FROM segments WHERE instance_guid = $1', [c.app.guid])).rowCount).toBe(0);
  });

  it('with a second instance connected to another key, reports the data as unrecoverable once that key is purged', async () => {
    const c = await configuredInstance();
    const kp = await instance('kms', 'tiered-pricing');
    const key = await rootKey(kp.guid);
    const authorized = keyward(['iam', 'authorization-policy-create', 'apprapp', 'kms', 'Reader', '--source-service-instance-id', c.app.guid, '--target-service-instance-id', kp.guid]);
    if (authorized.status !== 0) throw new Error(`authorization-policy-create failed (${authorized.status}): ${authorized.stderr}`);
    await expectEventually(async () => expect((await c.ac(c.manager, 'POST', '/integrations', { service: 'kms', root_key_crn: key.crn })).status).toBe(201), EVENTUALLY);
    expect((await c.ac(c.manager, 'POST', '/segments', { segment_id: 'staff', name: 'Staff', rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }] })).status).toBe(201);
    expect((await c.ac(c.manager, 'POST', '/environments/prod/features', { feature_id: 'beta', name: 'Beta', ...c.flag, segment_rules: [{ rules: [{ segments: ['staff'] }], value: true, order: 1 }] })).status).toBe(201);
    expect((await c.evaluate('beta')).body.value).toBe(true);

    expect((await kms(kp.guid, 'DELETE', `/api/v2/keys/${key.id}?force=true`)).status).toBe(204);
    await expectEventually(async () => expect((await c.segments()).status).toBe(409), EVENTUALLY);
    await expectEventually(async () => expect((await kms(kp.guid, 'DELETE', `/api/v2/keys/${key.id}/purge`)).status).toBeLessThan(300), EVENTUALLY);
    await expectEventually(async () => {
      const gone = await c.segments();
      expect([gone.status, gone.body.errors?.[0]?.code]).toEqual([410, 'KMS_KEY_PURGED_ERR']);
      expect(gone.body.errors[0].message).toContain('unrecoverable');
    }, EVENTUALLY);
    expect((await c.evaluate('beta')).status).toBe(410);
    expect((await c.ac(c.reader, 'GET', '/segments/staff')).status).toBe(410);
    expect((await c.ac(c.reader, 'GET', '/integrations')).body.integrations[0].key_state).toBe('purged');
    await expectEventually(async () => expect(await acksOf(c.app.crn)).toEqual([['deleted', true], ['purged', true]]), EVENTUALLY);
  });
});
