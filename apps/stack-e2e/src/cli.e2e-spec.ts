// The `keyward` command as a user runs it: a process with its own config directory, against the
// stack the e2e harness started. Every command group, and the ways it can fail.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { adminKey, editSession, iamUrl, json, keyward, newConfigDir, readSession, removeConfigDirs, secretFile as keyFile, sessionPath } from './support/cli-process';

// Each test spawns several CLI processes (~0.3 s each alone, more on a loaded machine).
jest.setTimeout(120_000);

afterAll(() => removeConfigDirs());

describe('keyward (the CLI as a process against the stack)', () => {
  const admin = newConfigDir();
  let adminIamId = '';

  beforeAll(() => {
    const login = keyward(admin, ['login', '--apikey', `@${keyFile(admin, adminKey())}`, '--endpoint', iamUrl(), '--output', 'json']);
    adminIamId = json<{ iam_id: string }>(login).iam_id;
  });

  describe('usage', () => {
    it.each([
      [[]],
      [['login']],
      [['target']],
      [['logout']],
      [['resource']],
      [['resource', 'service-instance-create']],
      [['resource', 'service-instances']],
      [['resource', 'service-instance']],
      [['resource', 'service-instance-delete']],
      [['iam']],
      [['iam', 'authorization-policy-create']],
      [['iam', 'authorization-policies']],
      [['iam', 'authorization-policy-delete']],
      [['iam', 'api-key-create']],
      [['iam', 'api-keys']],
      [['iam', 'api-key-delete']],
      [['iam', 'service-id-create']],
      [['iam', 'user-policy-create']],
      [['iam', 'user-policies']],
      [['iam', 'user-policy-delete']],
      [['iam', 'service-policy-create']],
      [['iam', 'service-policies']],
      [['iam', 'service-policy-delete']],
      [['status']],
    ])('keyward %j --help explains the command and exits 0', (args) => {
      const run = keyward(newConfigDir(), [...args, '--help']);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`Usage: keyward ${args.join(' ')}`.trim());
      expect(run.stdout).toContain('--output');
    });

    it.each([
      ['an unknown command', ['frobnicate'], "unknown command 'frobnicate'"],
      ['an unknown flag', ['resource', 'service-instances', '--bogus'], "unknown option '--bogus'"],
      ['a missing argument', ['iam', 'authorization-policy-create', 'apprapp', 'kms'], "missing required argument 'roles'"],
      ['an unknown output format', ['--output', 'yaml', 'iam', 'api-keys'], 'Allowed choices are table, json'],
      ['a missing required option', ['iam', 'user-policy-create', 'IBMid-x'], "required option '--roles <roles>' not specified"],
      ['an unknown region', ['target', '--region', 'mars'], 'Unknown region "mars"'],
      ['parameters that are not JSON', ['resource', 'service-instance-create', 'n', 'kms', 'standard', '-l', 'us-south', '-p', '{nope'], '-p must be a JSON object'],
    ])('%s is a usage error: exit 2 with what to fix', (_case, args, message) => {
      const run = keyward(admin, args);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe('');
    });

    it('refuses to delete without -f when there is no terminal to ask (exit 2)', () => {
      const run = keyward(admin, ['resource', 'service-instance-delete', '00000000-0000-4000-8000-000000000000']);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('Add -f');
    });
  });

  describe('login, target, logout', () => {
    it('keeps the session in a 0600 file in a 0700 directory and never prints the key or a token', () => {
      const dir = newConfigDir();
      const key = adminKey();
      const run = keyward(dir, ['login', '--endpoint', iamUrl()], { KEYWARD_APIKEY: key });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Logged in to');
      expect(run.stdout).toContain('admin');
      expect(statSync(sessionPath(dir)).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const session = readSession(dir);
      for (const secret of [key, session.accessToken, session.refreshToken as string]) {
        expect(run.stdout).not.toContain(secret);
        expect(run.stderr).not.toContain(secret);
      }
    });

    it('a wrong API key is exit 3, without echoing the key', () => {
      const dir = newConfigDir();
      const wrong = 'kw_this-is-not-a-real-key-0123456789';
      const run = keyward(dir, ['login', '--apikey', wrong, '--endpoint', iamUrl()]);
      expect(run.status).toBe(3);
      expect(run.stderr).toContain('IAM did not accept the API key');
      expect(run.stderr + run.stdout).not.toContain(wrong);
      expect(() => statSync(sessionPath(dir))).toThrow();
    });

    it('no API key and no terminal is a usage error (exit 2)', () => {
      const run = keyward(newConfigDir(), ['login', '--endpoint', iamUrl()]);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('KEYWARD_APIKEY');
    });

    it('an unreachable endpoint is exit 5 with what to check', () => {
      const run = keyward(newConfigDir(), ['login', '--apikey', 'kw_whatever-key-0000000000000', '--endpoint', 'http://127.0.0.1:1']);
      expect(run.status).toBe(5);
      expect(run.stderr).toContain('Cannot reach iam at http://127.0.0.1:1');
      expect(run.stderr).toContain('--endpoint');
    });

    it('commands without a session are exit 3 telling the user to log in', () => {
      const run = keyward(newConfigDir(), ['resource', 'service-instances']);
      expect(run.status).toBe(3);
      expect(run.stderr).toContain('You are not logged in');
      expect(run.stderr).toContain('keyward login');
    });

    it('target sets the region and resource group (by name) and shows them', () => {
      const dir = newConfigDir();
      expect(keyward(dir, ['login', '--endpoint', iamUrl()], { KEYWARD_APIKEY: adminKey() }).status).toBe(0);
      const set = json<{ region: string; resource_group: { id: string; name: string } }>(keyward(dir, ['target', '--region', 'eu-de', '-g', 'Default', '--output', 'json']));
      expect(set.region).toBe('eu-de');
      expect(set.resource_group).toEqual({ id: expect.stringMatching(/^[a-f0-9]{32}$/), name: 'Default' });
      const shown = keyward(dir, ['target']);
      expect(shown.status).toBe(0);
      expect(shown.stdout).toMatch(/Region:\s+eu-de/);
      expect(shown.stdout).toMatch(/Resource group:\s+Default/);
      const unknown = keyward(dir, ['target', '-g', 'no-such-group']);
      expect(unknown.status).toBe(4);
      expect(unknown.stderr).toContain('No resource group "no-such-group"');
    });

    it('logout forgets the session', () => {
      const dir = newConfigDir();
      expect(keyward(dir, ['login', '--endpoint', iamUrl()], { KEYWARD_APIKEY: adminKey() }).status).toBe(0);
      expect(keyward(dir, ['logout']).stdout).toContain('Logged out.');
      expect(() => statSync(sessionPath(dir))).toThrow();
      expect(keyward(dir, ['iam', 'api-keys']).status).toBe(3);
    });
  });

  describe('tokens', () => {
    it('a garbage access token is renewed with the refresh token, and the session file is updated', () => {
      const dir = newConfigDir();
      expect(keyward(dir, ['login', '--endpoint', iamUrl()], { KEYWARD_APIKEY: adminKey() }).status).toBe(0);
      const before = readSession(dir);
      editSession(dir, { accessToken: 'garbage.garbage.garbage' });
      const run = keyward(dir, ['iam', 'api-keys', '--output', 'json']);
      expect(run.status).toBe(0);
      const after = readSession(dir);
      expect(after.accessToken).not.toBe('garbage.garbage.garbage');
      expect(after.refreshToken).not.toBe(before.refreshToken);
    });

    it('an expired token is renewed before the call; with the refresh token used up, the API key starts a new one', () => {
      const dir = newConfigDir();
      expect(keyward(dir, ['login', '--endpoint', iamUrl()], { KEYWARD_APIKEY: adminKey() }).status).toBe(0);
      editSession(dir, { expiration: 1, refreshToken: 'not-a-refresh-token' });
      expect(keyward(dir, ['resource', 'service-instances']).status).toBe(0);
      expect(readSession(dir).expiration).toBeGreaterThan(Date.now() / 1000);
    });

    it('when neither the refresh token nor the API key works, the user is told to log in again (exit 3)', () => {
      const dir = newConfigDir();
      expect(keyward(dir, ['login', '--endpoint', iamUrl()], { KEYWARD_APIKEY: adminKey() }).status).toBe(0);
      editSession(dir, { accessToken: 'garbage', refreshToken: 'garbage', apiKey: 'kw_revoked-key-000000000000000000' });
      const run = keyward(dir, ['iam', 'authorization-policies']);
      expect(run.status).toBe(3);
      expect(run.stderr).toContain('Your session has ended');
      expect(run.stderr).toContain('keyward login');
      expect(run.stderr).not.toContain('kw_revoked-key');
    });
  });

  describe('resource', () => {
    it('creates, lists, shows and deletes a service instance', () => {
      const name = `cli-kms-${Date.now()}`;
      const created = json<{ guid: string; name: string; target: string; parameters: unknown }>(
        keyward(admin, ['resource', 'service-instance-create', name, 'kms', 'standard', '--location', 'us-south', '-p', '{"allowed_network":"public-and-private"}', '--output', 'json']),
      );
      expect(created).toMatchObject({ name, target: 'us-south', parameters: { allowed_network: 'public-and-private' } });

      const list = json<{ guid: string }[]>(keyward(admin, ['resource', 'service-instances', '--service-name', 'kms', '--output', 'json']));
      expect(list.map((i) => i.guid)).toContain(created.guid);
      const table = keyward(admin, ['resource', 'service-instances']);
      expect(table.stdout).toMatch(/^NAME\s+GUID\s+SERVICE\s+PLAN\s+LOCATION\s+STATE$/m);
      expect(table.stdout).toMatch(new RegExp(`^${name}\\s+${created.guid}\\s+kms\\s+standard\\s+us-south\\s+active$`, 'm'));

      const shown = keyward(admin, ['resource', 'service-instance', name]);
      expect(shown.status).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`GUID:\\s+${created.guid}`));

      const deleted = keyward(admin, ['resource', 'service-instance-delete', name, '-f']);
      expect(deleted.status).toBe(0);
      const gone = keyward(admin, ['resource', 'service-instance', created.guid]);
      expect(gone.status).toBe(4);
      expect(gone.stderr).toContain('INSTANCE_NOT_FOUND_ERR');
      expect(gone.stderr).toContain('keyward resource service-instances');
    });

    it('without --location it uses the targeted region, and with neither says what to do (exit 2)', () => {
      const dir = newConfigDir();
      expect(keyward(dir, ['login', '--endpoint', iamUrl()], { KEYWARD_APIKEY: adminKey() }).status).toBe(0);
      const none = keyward(dir, ['resource', 'service-instance-create', 'x', 'kms', 'standard']);
      expect(none.status).toBe(2);
      expect(none.stderr).toContain('keyward target --region');
      expect(keyward(dir, ['target', '-r', 'eu-gb']).status).toBe(0);
      const created = json<{ guid: string; target: string }>(keyward(dir, ['resource', 'service-instance-create', `cli-t-${Date.now()}`, 'kms', 'standard', '--output', 'json']));
      expect(created.target).toBe('eu-gb');
      expect(keyward(dir, ['resource', 'service-instance-delete', created.guid, '-f']).status).toBe(0);
    });

    it('an unknown service is refused by IAM with its message (exit 4)', () => {
      const run = keyward(admin, ['resource', 'service-instance-create', 'x', 'no-such-service', 'standard', '-l', 'us-south']);
      expect(run.status).toBe(4);
      expect(run.stderr).toContain('service');
    });
  });

  describe('iam', () => {
    it('authorization policies: create (with delegation), list, refuse a bad role, delete', () => {
      const instance = json<{ guid: string }>(keyward(admin, ['resource', 'service-instance-create', `cli-authz-${Date.now()}`, 'kms', 'standard', '-l', 'us-south', '--output', 'json']));
      const policy = json<{ id: string }>(
        keyward(admin, ['iam', 'authorization-policy-create', 'apprapp', 'kms', 'Reader', '--target-service-instance-id', instance.guid, '--output', 'json']),
      );
      const delegating = json<{ id: string; delegate_dependents?: boolean }>(
        keyward(admin, ['iam', 'authorization-policy-create', 'hyperp-dbaas-postgresql', 'kms', 'Reader,ReaderPlus', '--delegate', '--output', 'json']),
      );
      expect(delegating.delegate_dependents).toBe(true);

      const list = json<{ id: string; delegated_from?: string }[]>(keyward(admin, ['iam', 'authorization-policies', '--output', 'json']));
      expect(list.map((p) => p.id)).toEqual(expect.arrayContaining([policy.id, delegating.id]));
      expect(list.filter((p) => p.delegated_from === delegating.id)).toHaveLength(1);
      const table = keyward(admin, ['iam', 'authorization-policies']);
      expect(table.stdout).toMatch(new RegExp(`^${policy.id}\\s+apprapp\\s+kms instance ${instance.guid}\\s+Reader`, 'm'));

      const bad = keyward(admin, ['iam', 'authorization-policy-create', 'apprapp', 'kms', 'Bogus']);
      expect(bad.status).toBe(4);
      expect(bad.stderr).toContain('INVALID_POLICY_ERR');

      expect(keyward(admin, ['iam', 'authorization-policy-delete', delegating.id, '-f']).status).toBe(0);
      expect(keyward(admin, ['iam', 'authorization-policy-delete', policy.id, '-f']).status).toBe(0);
      const after = json<{ id: string; delegated_from?: string }[]>(keyward(admin, ['iam', 'authorization-policies', '--output', 'json']));
      expect(after.filter((p) => p.id === policy.id || p.id === delegating.id || p.delegated_from === delegating.id)).toEqual([]);
      const again = keyward(admin, ['iam', 'authorization-policy-delete', policy.id, '-f']);
      expect(again.status).toBe(4);
      expect(again.stderr).toContain('POLICY_NOT_FOUND_ERR');
    });

    it('service ID with an API key: forbidden until a service policy grants it, then allowed', () => {
      const serviceId = json<{ id: string; iam_id: string }>(keyward(admin, ['iam', 'service-id-create', `cli-app-${Date.now()}`, '--output', 'json']));
      expect(serviceId.id).toMatch(/^ServiceId-/);
      const key = json<{ id: string; apikey: string }>(keyward(admin, ['iam', 'api-key-create', 'cli-app-key', '--iam-id', serviceId.iam_id, '--output', 'json']));
      expect(key.apikey).toMatch(/^kw_/);
      const keys = json<{ id: string }[]>(keyward(admin, ['iam', 'api-keys', '--iam-id', serviceId.iam_id, '--output', 'json']));
      expect(keys).toEqual([expect.objectContaining({ id: key.id, name: 'cli-app-key' })]);
      expect(JSON.stringify(keys)).not.toContain(key.apikey);

      const app = newConfigDir();
      expect(keyward(app, ['login', '--endpoint', iamUrl()], { KEYWARD_APIKEY: key.apikey }).status).toBe(0);
      const forbidden = keyward(app, ['resource', 'service-instance-create', 'nope', 'kms', 'standard', '-l', 'us-south']);
      expect(forbidden.status).toBe(4);
      expect(forbidden.stderr).toContain('UNAUTHORIZED_ERR');
      expect(forbidden.stderr).toContain('access policy');
      expect(keyward(app, ['iam', 'authorization-policies']).status).toBe(4);

      const granted = json<{ id: string }>(keyward(admin, ['iam', 'service-policy-create', serviceId.id, '--roles', 'Editor', '--service-name', 'kms', '--output', 'json']));
      const policies = json<{ id: string }[]>(keyward(admin, ['iam', 'service-policies', serviceId.id, '--output', 'json']));
      expect(policies.map((p) => p.id)).toEqual([granted.id]);
      const created = json<{ guid: string }>(keyward(app, ['resource', 'service-instance-create', `cli-by-app-${Date.now()}`, 'kms', 'standard', '-l', 'us-south', '--output', 'json']));
      expect(keyward(app, ['resource', 'service-instance-delete', created.guid, '-f']).status).toBe(0);

      expect(keyward(admin, ['iam', 'service-policy-delete', serviceId.id, granted.id, '-f']).status).toBe(0);
      expect(json<unknown[]>(keyward(admin, ['iam', 'service-policies', serviceId.id, '--output', 'json']))).toEqual([]);
    });

    it('user policies: create, list, refuse a mismatched subject, delete', () => {
      const policy = json<{ id: string }>(
        keyward(admin, ['iam', 'user-policy-create', adminIamId, '--roles', 'Viewer,Reader', '--service-name', 'apprapp', '--output', 'json']),
      );
      const table = keyward(admin, ['iam', 'user-policies', adminIamId]);
      expect(table.stdout).toMatch(new RegExp(`^${policy.id}\\s+apprapp\\s+Viewer, Reader`, 'm'));
      const mismatch = keyward(admin, ['iam', 'user-policy-delete', 'IBMid-someoneelse', policy.id, '-f']);
      expect(mismatch.status).toBe(4);
      const notAnAuthorization = keyward(admin, ['iam', 'authorization-policy-delete', policy.id, '-f']);
      expect(notAnAuthorization.status).toBe(4);
      expect(notAnAuthorization.stderr).toContain(`No such policy: ${policy.id}`);
      expect(keyward(admin, ['iam', 'user-policy-delete', adminIamId, policy.id, '-f']).status).toBe(0);
      expect(keyward(admin, ['iam', 'user-policies', adminIamId, '--output', 'json']).stdout).not.toContain(policy.id);
    });

    it('api keys: create to a file, log in with it, delete it by name, and the key stops working (exit 3)', () => {
      const file = join(newConfigDir(), '..', 'new-key.json');
      const name = `cli-own-${Date.now()}`;
      const created = keyward(admin, ['iam', 'api-key-create', name, '--file', file]);
      expect(created.status).toBe(0);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { apikey: string; id: string };
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(created.stdout + created.stderr).not.toContain(saved.apikey);

      const user = newConfigDir();
      // The file api-key-create writes is what login --apikey @file reads.
      const login = json<{ iam_id: string }>(keyward(user, ['login', '--apikey', `@${file}`, '--endpoint', iamUrl(), '--output', 'json']));
      expect(login.iam_id).toBe(adminIamId);

      expect(keyward(admin, ['iam', 'api-key-delete', name, '-f']).status).toBe(0);
      const relogin = keyward(newConfigDir(), ['login', '--endpoint', iamUrl()], { KEYWARD_APIKEY: saved.apikey });
      expect(relogin.status).toBe(3);
      const missing = keyward(admin, ['iam', 'api-key-delete', name, '-f']);
      expect(missing.status).toBe(4);
      expect(missing.stderr).toContain('keyward iam api-keys');
    });
  });
});
