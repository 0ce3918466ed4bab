import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken, createHsmDevEnv, createSuiteContext, iamTokenFor, repoRoot } from '@keyward/testing';
import { call, runCeremony } from './testing/schematics-suite';

// Seed 001 as a user runs it: every app a built process, the `keyward` CLI as a process, Reader-only
// authorizations Schematics → each KMS instance.
describe('seed 001: KMS integration for BYOK or KYOK (e2e)', () => {
  let suite: SuiteContext;
  let stack: RunningStack;
  let db: Client;
  let work: string;
  let admin: string;
  let account: string;
  const url = (app: string) => stack.services.find((s) => s.app === app)?.url as string;

  const keyward = (args: string[]) => {
    const run = spawnSync(process.execPath, [join(repoRoot(), 'apps', 'cli', 'bin', 'keyward.js'), ...args], {
      env: { PATH: process.env['PATH'], HOME: work, KEYWARD_CONFIG_DIR: join(work, 'config'), KEYWARD_APIKEY: suite.adminApiKey },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const instance = async (target: string, service: 'kms' | 'hs-crypto' = 'kms') =>
    (await call(url('iam'), admin, 'POST', '/v2/resource_instances', { name: `${service}-${target}`, service, plan: 'standard', target })).body as { guid: string; crn: string };
  const rootKey = async (guid: string) => {
    const created = await call(url('kms'), admin, 'POST', '/api/v2/keys', { metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 }, resources: [{ type: 'application/vnd.ibm.kms.key+json', name: 'root', extractable: false }] }, { 'bluemix-instance': guid });
    return created.body.resources[0] as { id: string; crn: string };
  };
  const grantReader = async (guid: string, service: 'kms' | 'hs-crypto' = 'kms') => {
    const policy = await call(url('iam'), admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'schematics' }] },
      resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: service }, { key: 'serviceInstance', operator: 'stringEquals', value: guid }] },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    });
    expect(policy.status).toBe(201);
  };

  beforeAll(async () => {
    suite = await createSuiteContext(['iam', 'hsm', 'kms', 'schematics']);
    const hsmEnv = createHsmDevEnv();
    stack = await startStack({
      root: repoRoot(),
      apps: ['iam', 'hsm', 'kms', 'schematics'],
      env: { PATH: process.env['PATH'] },
      perAppEnv: (app) => ({ ...suite.envFor(app), ...(app === 'hsm' ? hsmEnv : {}) }),
      ports: { iam: await findFreePort(), hsm: await findFreePort(), kms: await findFreePort(), schematics: await findFreePort() },
      onOutput: () => undefined,
    });
    admin = await iamTokenFor(url('iam'), suite.adminApiKey);
    account = accountOfToken(admin);
    db = new Client({ connectionString: suite.databases.schematics?.url });
    await db.connect();
    work = mkdtempSync(join(tmpdir(), 'keyward-seed-001-'));
    expect(keyward(['login', '--endpoint', url('iam')]).status).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
    await suite?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('lists instances, enables primary and secondary once, shows the info, and reads through the secondary when the primary key is disabled', async () => {
    const primaryInstance = await instance('us-south');
    const secondaryInstance = await instance('us-east');
    const primary = await rootKey(primaryInstance.guid);
    const secondary = await rootKey(secondaryInstance.guid);
    await grantReader(primaryInstance.guid);
    await grantReader(secondaryInstance.guid);

    const byok = keyward(['schematics', 'kms', 'instances', 'ls', '--location', 'us', '--scheme', 'byok']);
    expect(byok.status).toBe(0);
    expect(byok.stdout).toContain(primary.crn);
    expect(byok.stdout).toContain(secondary.crn);
    const noKyok = keyward(['schematics', 'kms', 'instances', 'ls', '--location', 'us', '--scheme', 'kyok']);
    expect(noKyok.stdout).toContain('No KMS instances');
    // A Hyper Protect Crypto Services instance whose ceremony is done: listed for kyok only.
    const hpcs = await instance('us-south', 'hs-crypto');
    await runCeremony(url('kms'), admin, hpcs.guid);
    const hpcsKey = await rootKey(hpcs.guid);
    await grantReader(hpcs.guid, 'hs-crypto');
    const kyok = keyward(['schematics', 'kms', 'instances', 'ls', '--location', 'us', '--scheme', 'kyok', '--output', 'json']);
    expect(kyok.status).toBe(0);
    expect(JSON.parse(kyok.stdout).kms_instances.map((i: { kms_crn: string; keys: { crn: string }[] }) => [i.kms_crn, i.keys.map((k) => k.crn)])).toEqual([[hpcs.crn, [hpcsKey.crn]]]);
    expect(keyward(['schematics', 'kms', 'instances', 'ls', '--location', 'us', '--scheme', 'byok']).stdout).not.toContain(hpcsKey.crn);

    const enableArgs = ['schematics', 'kms', 'enable', '--location', 'us', '--scheme', 'byok', '--group', 'default',
      '--primary_name', 'kp-primary', '--primary_crn', primary.crn, '--primary_endpoint', url('kms'),
      '--secondary_name', 'kp-secondary', '--secondary_crn', secondary.crn, '--secondary_endpoint', url('kms')];
    const enabled = keyward(enableArgs);
    expect(enabled.stderr).toBe('');
    expect(enabled.status).toBe(0);
    const again = keyward(enableArgs);
    expect(again.status).toBe(4);
    expect(again.stderr).toMatch(/support request/);
    const info = keyward(['schematics', 'kms', 'info', '--location', 'us', '--output', 'json']);
    expect(JSON.parse(info.stdout)).toMatchObject({ location: 'us', encryption_scheme: 'byok', primary_crk: { key_crn: primary.crn }, secondary_crk: { key_crn: secondary.crn } });

    const secret = 'seed-001-sensitive-value';
    const created = await call(url('schematics'), admin, 'POST', '/v1/workspaces', { name: 'seed', location: 'us', resource_group: 'default', variables: [{ name: 'token', value: secret, secure: true }] });
    expect(created.status).toBe(201);
    const row = (await db.query('SELECT variables, data_keys FROM workspaces WHERE id = $1', [created.body.id])).rows[0];
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.data_keys.map((k: { role: string }) => k.role)).toEqual(['primary', 'secondary']);

    expect((await call(url('kms'), admin, 'POST', `/api/v2/keys/${primary.id}/actions/disable`, undefined, { 'bluemix-instance': primaryInstance.guid })).status).toBe(204);
    const read = await call(url('schematics'), admin, 'GET', `/v1/workspaces/${created.body.id}/variables`);
    expect(read.status).toBe(200);
    expect(read.body.variables).toEqual([{ name: 'token', secure: true, value: secret }]);
    const metrics = await (await fetch(`${url('schematics')}/metrics`)).text();
    expect(metrics).toMatch(/keyward_schematics_kms_failovers_total\{[^}]*from_role="primary"/);
  }, 180_000);

  it('reads through the secondary when the primary’s KMS endpoint (a second KMS process) is stopped', async () => {
    const primaryInstance = await instance('eu-de');
    const secondaryInstance = await instance('eu-gb');
    const primary = await rootKey(primaryInstance.guid);
    const secondary = await rootKey(secondaryInstance.guid);
    await grantReader(primaryInstance.guid);
    await grantReader(secondaryInstance.guid);
    // Another KMS process on the same database and NATS serves as the primary's endpoint.
    const second = await startStack({
      root: repoRoot(),
      apps: ['kms'],
      env: { PATH: process.env['PATH'] },
      perAppEnv: () => ({ ...suite.envFor('kms'), KEYWARD_IAM_URL: url('iam') }),
      ports: { kms: await findFreePort() },
      onOutput: () => undefined,
    });
    const secondUrl = second.services[0]?.url as string;
    try {
      const enabled = keyward(['schematics', 'kms', 'enable', '--location', 'eu', '--scheme', 'byok', '--group', 'default',
        '--primary_name', 'kp-eu-de', '--primary_crn', primary.crn, '--primary_endpoint', secondUrl,
        '--secondary_name', 'kp-eu-gb', '--secondary_crn', secondary.crn, '--secondary_endpoint', url('kms')]);
      expect(enabled.stderr).toBe('');
      expect(enabled.status).toBe(0);
      const info = JSON.parse(keyward(['schematics', 'kms', 'info', '--location', 'eu', '--output', 'json']).stdout);
      expect(info).toMatchObject({ primary_crk: { key_crn: primary.crn, kms_private_endpoint: secondUrl }, secondary_crk: { key_crn: secondary.crn, kms_private_endpoint: url('kms') } });

      const secret = 'seed-001-eu-sensitive-value';
      const created = await call(url('schematics'), admin, 'POST', '/v1/workspaces', { name: 'seed-eu', location: 'eu', resource_group: 'default', variables: [{ name: 'token', value: secret, secure: true }] });
      expect(created.status).toBe(201);
      const row = (await db.query('SELECT variables, data_keys FROM workspaces WHERE id = $1', [created.body.id])).rows[0];
      expect(JSON.stringify(row)).not.toContain(secret);
      expect(row.data_keys.map((k: { role: string; endpoint: string }) => [k.role, k.endpoint])).toEqual([
        ['primary', secondUrl],
        ['secondary', url('kms')],
      ]);

      await second.stop();
      const read = await call(url('schematics'), admin, 'GET', `/v1/workspaces/${created.body.id}/variables`);
      expect(read.status).toBe(200);
      expect(read.body.variables).toEqual([{ name: 'token', secure: true, value: secret }]);
      const metrics = await (await fetch(`${url('schematics')}/metrics`)).text();
      expect(metrics).toMatch(/keyward_schematics_kms_failovers_total\{[^}]*from_role="primary"[^}]*reason="SERVICE_UNAVAILABLE_ERR"[^}]*\} [1-9]/);
    } finally {
      await second.stop();
    }
  }, 180_000);
});
