// `keyward app-config` and `keyward dbaas` as a user runs them: processes against the stack the e2e
// harness started, with a customer root key and Reader-only authorizations, and the ways they fail.
import { type Run, adminKey, json, keyward, loggedIn, newConfigDir, removeConfigDirs } from './support/cli-process';
import { expectEventually } from '@keyward/testing';

// Each test spawns many CLI processes (~0.3 s each alone, more on a loaded machine).
jest.setTimeout(180_000);

afterAll(() => removeConfigDirs());

interface Instance {
  guid: string;
  crn: string;
}
interface Key {
  id: string;
  crn: string;
}

function refused(run: Run, text: string): void {
  expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 4, stdout: '' });
  expect(run.stderr).toContain(text);
}

describe('keyward app-config and dbaas (the CLI as a process against the stack)', () => {
  let admin = '';
  let kp: Instance;
  const stamp = Date.now().toString(36);
  const key = (name: string) => json<Key>(keyward(admin, ['kp', 'key', 'create', name, '-i', kp.guid, '--output', 'json']));

  beforeAll(() => {
    admin = loggedIn(adminKey());
    kp = json<Instance>(keyward(admin, ['resource', 'service-instance-create', `cli-consumers-kp-${stamp}`, 'kms', 'standard', '-l', 'us-south', '--output', 'json']));
  });

  describe('usage', () => {
    it.each([
      [['app-config']],
      ...['integration create', 'integrations', 'environments', 'environment create', 'environment delete', 'segments', 'segment create', 'segment delete', 'features', 'feature create', 'feature delete', 'evaluate'].map((c) => [['app-config', ...c.split(' ')]]),
      [['dbaas']],
      ...['cluster create', 'cluster show', 'cluster delete', 'clusters', 'nodes', 'backup', 'backups', 'restore', 'row create', 'row show'].map((c) => [['dbaas', ...c.split(' ')]]),
      ...['create', 'list', 'variables', 'delete'].map((c) => [['schematics', 'workspace', c]]),
      [['iam', 'account-create']],
      [['iam', 'user-create']],
      [['demo']],
    ])('keyward %j --help explains the command and exits 0', (args) => {
      const run = keyward(newConfigDir(), [...args, '--help']);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`Usage: keyward ${args.join(' ')}`);
    });

    it.each([
      ['an unknown KMS service', ['app-config', 'integration', 'create', '-i', 'x', '--root-key', 'crn:v1:keyward:public:kms:us-south:a/b:c:key:d', '--service', 'vault'], 'Unknown KMS service "vault"'],
      ['an attribute without a value', ['app-config', 'evaluate', 'f', '-i', 'x', '-e', 'dev', '--entity', 'e', '--attr', 'email'], '--attr must be name=value'],
      ['a segment without rules', ['app-config', 'segment', 'create', 's', '-i', 'x'], 'At least one --rule is needed'],
      ['a feature value of the wrong type', ['app-config', 'feature', 'create', 'f', '-i', 'x', '-e', 'dev', '--enabled-value', 'yes'], 'must be true or false'],
      ['an unknown region', ['dbaas', 'cluster', 'create', 'db', '--region', 'mars'], 'Unknown region "mars"'],
      ['a restore without --name', ['dbaas', 'restore', 'b1'], "required option '--name <name>' not specified"],
      ['a cluster delete without -f and no terminal', ['dbaas', 'cluster', 'delete', 'c1'], 'Add -f'],
    ])('%s is a usage error: exit 2 with what to fix', (_case, args, message) => {
      const run = keyward(admin, args);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(message);
    });
  });

  it('app-config: refused without the authorization, then connects a root key (given by id), encrypts segments, evaluates, and shows the key disabled', async () => {
    const app = json<Instance>(keyward(admin, ['resource', 'service-instance-create', `cli-consumers-ac-${stamp}`, 'apprapp', 'enterprise', '-l', 'us-south', '--output', 'json']));
    const root = key('cli-appconfig-root');
    refused(keyward(admin, ['app-config', 'integration', 'create', '-i', app.guid, '--root-key', root.crn]), 'authorization-policy-create apprapp kms Reader');
    json(keyward(admin, ['iam', 'authorization-policy-create', 'apprapp', 'kms', 'Reader', '--source-service-instance-id', app.guid, '--target-service-instance-id', kp.guid, '--output', 'json']));
    const connected = await expectEventually(async () => {
      const run = keyward(admin, ['app-config', 'integration', 'create', '-i', app.guid, '--root-key', root.id, '--kms-instance', kp.guid]);
      expect(run.status).toBe(0);
      return run;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    expect(connected.stdout).toContain(`segment data is now encrypted with root key ${root.id}`);
    expect(connected.stdout).toMatch(/Key state:\s+active/);
    refused(keyward(admin, ['app-config', 'integration', 'create', '-i', app.guid, '--root-key', root.crn]), 'KMS_INTEGRATION_EXISTS_ERR');
    expect(json<{ root_key_crn: string; key_state: string }[]>(keyward(admin, ['app-config', 'integrations', '-i', app.guid, '--output', 'json']))).toEqual([expect.objectContaining({ root_key_crn: root.crn, key_state: 'active' })]);

    expect(keyward(admin, ['app-config', 'segment', 'create', 'staff', '-i', app.guid, '--rule', 'email endsWith @example.com', '--rule', 'age greaterThan 17']).status).toBe(0);
    expect(keyward(admin, ['app-config', 'segments', '-i', app.guid]).stdout).toMatch(/staff\s+staff\s+email endsWith @example.com AND age greaterThan 17/);
    expect(keyward(admin, ['app-config', 'environment', 'create', 'prod', '-i', app.guid]).status).toBe(0);
    expect(keyward(admin, ['app-config', 'environments', '-i', app.guid]).stdout).toMatch(/prod\s+prod/);
    expect(keyward(admin, ['app-config', 'feature', 'create', 'beta', '-i', app.guid, '-e', 'prod', '--enabled', '--rollout', '0', '--segment-rule', 'staff=true']).status).toBe(0);
    expect(keyward(admin, ['app-config', 'features', '-i', app.guid, '-e', 'prod']).stdout).toMatch(/beta\s+BOOLEAN\s+true\s+true \/ false\s+0%\s+staff=true/);
    const evaluate = (email: string, age: string) => json<{ value: boolean; reason: string }>(keyward(admin, ['app-config', 'evaluate', 'beta', '-i', app.guid, '-e', 'prod', '--entity', email, '--attr', `email=${email}`, '--attr', `age=${age}`, '--output', 'json']));
    expect(evaluate('alice@example.com', '30')).toMatchObject({ value: true, reason: 'segment' });
    expect(evaluate('kid@example.com', '12')).toMatchObject({ value: false, reason: 'rollout' });
    refused(keyward(admin, ['app-config', 'evaluate', 'nope', '-i', app.guid, '-e', 'prod', '--entity', 'e']), 'NOT_FOUND_ERR');

    expect(keyward(admin, ['kp', 'key', 'disable', root.id, '-i', kp.guid]).status).toBe(0);
    await expectEventually(async () => refused(keyward(admin, ['app-config', 'segments', '-i', app.guid]), 'is disabled (state 2)'), { timeoutMs: 20_000, intervalMs: 500 });
    expect(keyward(admin, ['app-config', 'integrations', '-i', app.guid]).stdout).toMatch(/Key state:\s+disabled/);

    expect(keyward(admin, ['app-config', 'feature', 'delete', 'beta', '-i', app.guid, '-e', 'prod', '-f']).status).toBe(0);
    expect(keyward(admin, ['app-config', 'environment', 'delete', 'prod', '-i', app.guid, '-f']).status).toBe(0);
    expect(keyward(admin, ['app-config', 'features', '-i', app.guid, '-e', 'prod']).status).toBe(4);
  });

  it('dbaas: a cluster under a customer key, nodes, rows, backup, the key deleted, restore into a new cluster, delete', async () => {
    const root = key('cli-dbaas-root');
    const backupKey = key('cli-dbaas-backup');
    json(keyward(admin, ['iam', 'authorization-policy-create', 'hyperp-dbaas-postgresql', 'kms', 'Reader', '--target-service-instance-id', kp.guid, '--delegate', '--output', 'json']));
    const cluster = await expectEventually(
      async () => json<{ id: string; kms: { keyId: string } }>(keyward(admin, ['dbaas', 'cluster', 'create', `cli-db-${stamp}`, '--kms-key-crn', root.crn, '--backup-key-crn', backupKey.crn, '--database', 'clinic', '--output', 'json'])),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(cluster.kms.keyId).toBe(root.id);
    expect(keyward(admin, ['dbaas', 'clusters']).stdout).toContain(cluster.id);
    expect(keyward(admin, ['dbaas', 'cluster', 'show', cluster.id]).stdout).toMatch(/Root key CRN:\s+crn:v1/);
    expect(json<{ keyStatus: string }[]>(keyward(admin, ['dbaas', 'nodes', cluster.id, '--output', 'json'])).map((n) => n.keyStatus)).toEqual(['active', 'active', 'active']);
    expect(keyward(admin, ['dbaas', 'row', 'create', cluster.id, 'patients', '{"id":"p1","name":"Jane Roe"}']).status).toBe(0);
    expect(keyward(admin, ['dbaas', 'row', 'show', cluster.id, 'patients', 'p1']).stdout).toMatch(/name:\s+Jane Roe/);
    const backup = json<{ id: string; rowCount: number; backupKeyCrn: string }>(keyward(admin, ['dbaas', 'backup', cluster.id, '--output', 'json']));
    expect(backup).toMatchObject({ rowCount: 1, backupKeyCrn: backupKey.crn });
    expect(keyward(admin, ['dbaas', 'backups', cluster.id]).stdout).toContain(backup.id);

    expect(keyward(admin, ['kp', 'key', 'delete', root.id, '-i', kp.guid, '-f', '--override-registrations']).status).toBe(0);
    await expectEventually(async () => expect(keyward(admin, ['dbaas', 'nodes', cluster.id]).stdout).toMatch(/deleted[\s\S]*deleted[\s\S]*deleted/), { timeoutMs: 20_000, intervalMs: 500 });
    refused(keyward(admin, ['dbaas', 'row', 'show', cluster.id, 'patients', 'p1']), 'restorable until');

    const newKey = key('cli-dbaas-new');
    const restored = json<{ id: string }>(keyward(admin, ['dbaas', 'restore', backup.id, '--name', `cli-db-restored-${stamp}`, '--kms-key-crn', newKey.crn, '--output', 'json']));
    expect(json<{ name: string }>(keyward(admin, ['dbaas', 'row', 'show', restored.id, 'patients', 'p1', '--output', 'json'])).name).toBe('Jane Roe');
    refused(keyward(admin, ['dbaas', 'restore', '00000000-0000-4000-8000-000000000000', '--name', 'x', '--kms-key-crn', newKey.crn]), 'No cluster of yours has backup');

    for (const id of [restored.id, cluster.id]) expect(keyward(admin, ['dbaas', 'cluster', 'delete', id, '-f']).status).toBe(0);
    refused(keyward(admin, ['dbaas', 'nodes', cluster.id]), 'dbaas clusters');
  });
});
