// `keyward kp` for the KMS's part 2 API (import tokens, key rings, aliases, policies, registrations) as
// a user runs it: processes against the stack the e2e harness started. Passes once the KMS serves part 2
// (KEY-PROTECT-API.md §2–3); the CLI side is unit-tested in apps/cli/src/commands/kp/*.spec.ts.
import { randomBytes } from 'node:crypto';
import { type Run, adminKey, json, keyward, loggedIn, newConfigDir, removeConfigDirs, secretFile } from './support/cli-process';

jest.setTimeout(240_000);

interface Key {
  id: string;
  name: string;
  state: number;
  imported?: boolean;
  aliases?: string[];
  keyRingID?: string;
}

function refused(run: Run, code?: string): void {
  expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 4, stdout: '' });
  if (code) expect(run.stderr).toContain(code);
}

afterAll(() => removeConfigDirs());

describe('keyward kp, part 2 (the CLI as a process against the stack)', () => {
  let admin = '';
  let instance = '';

  beforeAll(() => {
    admin = loggedIn(adminKey());
    instance = json<{ guid: string }>(keyward(admin, ['resource', 'service-instance-create', `cli-kp2-${Date.now()}`, 'kms', 'standard', '-l', 'us-south', '--output', 'json'])).guid;
  });

  it.each([
    [['kp', 'import-token']],
    [['kp', 'import-token', 'create']],
    [['kp', 'import-token', 'show']],
    [['kp', 'key-rings']],
    [['kp', 'key-ring', 'create']],
    [['kp', 'key-ring', 'delete']],
    [['kp', 'key', 'alias-create']],
    [['kp', 'key', 'alias-delete']],
    [['kp', 'key', 'policies']],
    [['kp', 'key', 'schedule-delete']],
    [['kp', 'key', 'cancel-delete']],
    [['kp', 'key', 'policy-update', 'rotation']],
    [['kp', 'key', 'policy-update', 'dual-auth-delete']],
    [['kp', 'instance', 'policies']],
    [['kp', 'instance', 'policy-update', 'dual-auth-delete']],
    [['kp', 'instance', 'policy-update', 'rotation']],
    [['kp', 'instance', 'policy-update', 'allowed-network']],
    [['kp', 'instance', 'policy-update', 'metrics']],
    [['kp', 'instance', 'policy-update', 'key-create-import-access']],
    [['kp', 'registrations']],
  ])('keyward %j --help explains the command and exits 0', (args) => {
    const run = keyward(newConfigDir(), [...args, '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Usage: keyward ${args.join(' ')}`);
  });

  it('imports a root key through an import token (encrypted on the client) and uses it; a used-up token is refused', () => {
    const token = json<{ maxAllowedRetrievals: number; remainingRetrievals: number }>(keyward(admin, ['kp', 'import-token', 'create', '-i', instance, '-e', '900', '-m', '3', '--output', 'json']));
    expect(token).toMatchObject({ maxAllowedRetrievals: 3, remainingRetrievals: 3 });
    const shown = keyward(admin, ['kp', 'import-token', 'show', '-i', instance]);
    expect(shown.stdout).toContain('BEGIN PUBLIC KEY');
    // Whether the answer counts its own retrieval is the KMS's choice; either way it is one fewer than created or the same.
    expect(shown.stdout).toMatch(/Remaining retrievals:\s+[23]/);

    const material = randomBytes(32).toString('base64');
    const create = keyward(admin, ['kp', 'key', 'create', 'cli-secure-import', '-i', instance, '-k', `@${secretFile(admin, material)}`, '--import-token', '--output', 'json']);
    const key = json<Key>(create);
    expect(key).toMatchObject({ name: 'cli-secure-import', imported: true, state: 1 });
    expect(create.stdout + create.stderr).not.toContain(material);
    const wrapped = json<{ ciphertext: string; plaintext: string }>(keyward(admin, ['kp', 'key', 'wrap', key.id, '-i', instance, '--output', 'json']));
    expect(json<{ plaintext: string }>(keyward(admin, ['kp', 'key', 'unwrap', key.id, wrapped.ciphertext, '-i', instance, '--output', 'json'])).plaintext).toBe(wrapped.plaintext);

    expect(keyward(admin, ['kp', 'import-token', 'create', '-i', instance, '-m', '1']).status).toBe(0);
    expect(keyward(admin, ['kp', 'key', 'create', 'cli-once', '-i', instance, '-k', randomBytes(16).toString('base64'), '--import-token']).status).toBe(0);
    refused(keyward(admin, ['kp', 'key', 'create', 'cli-twice', '-i', instance, '-k', randomBytes(16).toString('base64'), '--import-token']), 'IMPORT_TOKEN_EXPIRED_ERR');
  });

  it('key rings: create, create a key in it, refuse to delete it while it holds the key, delete it once the key is destroyed', () => {
    const ring = `cli-ring-${Date.now() % 100000}`;
    expect(keyward(admin, ['kp', 'key-ring', 'create', ring, '-i', instance]).status).toBe(0);
    const rings = json<{ id: string }[]>(keyward(admin, ['kp', 'key-rings', '-i', instance, '--output', 'json']));
    expect(rings.map((r) => r.id)).toEqual(expect.arrayContaining(['default', ring]));
    const key = json<Key>(keyward(admin, ['kp', 'key', 'create', 'cli-in-ring', '-i', instance, '-r', ring, '--output', 'json']));
    expect(key.keyRingID).toBe(ring);
    refused(keyward(admin, ['kp', 'key-ring', 'delete', ring, '-i', instance, '-f']));
    expect(keyward(admin, ['kp', 'key', 'delete', key.id, '-i', instance, '-f']).status).toBe(0);
    expect(keyward(admin, ['kp', 'key-ring', 'delete', ring, '-i', instance, '-f', '--move-destroyed-keys']).status).toBe(0);
    expect(json<{ id: string }[]>(keyward(admin, ['kp', 'key-rings', '-i', instance, '--output', 'json'])).map((r) => r.id)).not.toContain(ring);
  });

  it('aliases name a key; a reserved alias is refused', () => {
    const key = json<Key>(keyward(admin, ['kp', 'key', 'create', 'cli-aliased', '-i', instance, '--output', 'json']));
    const alias = `cli-alias-${Date.now()}`;
    expect(keyward(admin, ['kp', 'key', 'alias-create', key.id, '-a', alias, '-i', instance]).stdout).toContain(`Created alias ${alias}`);
    expect(json<Key>(keyward(admin, ['kp', 'key', 'show', alias, '-i', instance, '--output', 'json'])).id).toBe(key.id);
    refused(keyward(admin, ['kp', 'key', 'alias-create', key.id, '-a', 'versions', '-i', instance]));
    expect(keyward(admin, ['kp', 'key', 'alias-delete', key.id, '-a', alias, '-i', instance, '-f']).status).toBe(0);
    refused(keyward(admin, ['kp', 'key', 'show', alias, '-i', instance]), 'KEY_NOT_FOUND_ERR');
  });

  it('key policies: rotation every 3 months, dual authorization blocks a single-person delete', () => {
    const key = json<Key>(keyward(admin, ['kp', 'key', 'create', 'cli-policies', '-i', instance, '--output', 'json']));
    expect(keyward(admin, ['kp', 'key', 'policy-update', 'rotation', key.id, '-m', '3', '-i', instance]).stdout).toContain('every 3 month(s)');
    expect(keyward(admin, ['kp', 'key', 'policy-update', 'dual-auth-delete', key.id, '-e', '-i', instance]).status).toBe(0);
    const policies = keyward(admin, ['kp', 'key', 'policies', key.id, '-i', instance]);
    expect(policies.stdout).toMatch(/^rotation\s+enabled, every 3 month\(s\)$/m);
    expect(policies.stdout).toMatch(/^dual-auth-delete\s+enabled$/m);
    refused(keyward(admin, ['kp', 'key', 'delete', key.id, '-i', instance, '-f']), 'AUTHORIZATIONS_NOT_MET');
  });

  it('instance policies: set, listed, unset', () => {
    expect(keyward(admin, ['kp', 'instance', 'policy-update', 'rotation', '-e', '-m', '2', '-i', instance]).status).toBe(0);
    expect(keyward(admin, ['kp', 'instance', 'policy-update', 'metrics', '-e', '-i', instance]).status).toBe(0);
    const policies = json<{ policy_type: string; policy_data: { enabled: boolean } }[]>(keyward(admin, ['kp', 'instance', 'policies', '-i', instance, '--output', 'json']));
    expect(policies).toEqual(expect.arrayContaining([expect.objectContaining({ policy_type: 'rotation', policy_data: expect.objectContaining({ enabled: true }) }), expect.objectContaining({ policy_type: 'metrics' })]));
    expect(keyward(admin, ['kp', 'instance', 'policy-update', 'metrics', '-d', '-i', instance]).status).toBe(0);
    expect(keyward(admin, ['kp', 'instance', 'policy-update', 'allowed-network', '-e', '-n', 'public-and-private', '-i', instance]).status).toBe(0);
  });

  it('registrations: none yet for the instance and for a key (exit 0)', () => {
    const key = json<Key>(keyward(admin, ['kp', 'key', 'create', 'cli-registered', '-i', instance, '--output', 'json']));
    expect(keyward(admin, ['kp', 'registrations', '-i', instance]).status).toBe(0);
    expect(json<unknown[]>(keyward(admin, ['kp', 'registrations', '-i', instance, '-k', key.id, '--output', 'json']))).toEqual([]);
  });

  it('a Reader may not create key rings or import tokens (exit 4)', () => {
    const serviceId = json<{ id: string; iam_id: string }>(keyward(admin, ['iam', 'service-id-create', `cli-kp2-app-${Date.now()}`, '--output', 'json']));
    const apikey = json<{ apikey: string }>(keyward(admin, ['iam', 'api-key-create', 'cli-kp2-key', '--iam-id', serviceId.iam_id, '--output', 'json'])).apikey;
    expect(keyward(admin, ['iam', 'service-policy-create', serviceId.id, '--roles', 'Reader', '--service-name', 'kms', '--service-instance', instance]).status).toBe(0);
    const app = loggedIn(apikey);
    refused(keyward(app, ['kp', 'key-ring', 'create', 'not-allowed', '-i', instance]), 'UNAUTHORIZED_ERR');
    refused(keyward(app, ['kp', 'import-token', 'create', '-i', instance]), 'UNAUTHORIZED_ERR');
  });
});
