// `keyward kp` and `keyward hpcs` as a user runs them: processes against the stack the e2e harness
// started. Every command, and the ways they fail: bad flags, tokens, missing authorization, a sealed domain.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expectEventually } from '@keyward/testing';
import { type Run, adminKey, editSession, json, keyward, loggedIn, newConfigDir, removeConfigDirs, secretFile } from './support/cli-process';

// Each test spawns many CLI processes; the first ceremony also makes an RSA-4096 key in the HSM.
jest.setTimeout(240_000);

interface Key {
  id: string;
  name: string;
  state: number;
  extractable: boolean;
  imported?: boolean;
}
interface Wrapped {
  ciphertext: string;
  plaintext?: string;
  keyVersion: { id: string };
}

const GUID = '00000000-0000-4000-8000-000000000000';

function refused(run: Run, code: string): void {
  expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 4, stdout: '' });
  expect(run.stderr).toContain(code);
}

afterAll(() => removeConfigDirs());

describe('keyward kp and hpcs (the CLI as a process against the stack)', () => {
  let admin = '';
  let instance = '';

  beforeAll(() => {
    admin = loggedIn(adminKey());
    instance = json<{ guid: string }>(keyward(admin, ['resource', 'service-instance-create', `cli-kp-${Date.now()}`, 'kms', 'standard', '-l', 'us-south', '--output', 'json'])).guid;
  });

  describe('usage', () => {
    it.each([
      [['kp']],
      [['kp', 'keys']],
      [['kp', 'key']],
      ...['create', 'show', 'delete', 'restore', 'purge', 'rotate', 'disable', 'enable', 'wrap', 'unwrap', 'rewrap', 'versions'].map((c) => [['kp', 'key', c]]),
      [['hpcs']],
      ...['init', 'unseal', 'seal', 'status', 'rotate-master-key'].map((c) => [['hpcs', c]]),
    ])('keyward %j --help explains the command and exits 0', (args) => {
      const run = keyward(newConfigDir(), [...args, '--help']);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`Usage: keyward ${args.join(' ')}`);
      expect(run.stdout).toContain('--output');
    });

    it.each([
      ['no instance', ['kp', 'keys'], "required option '-i, --instance-id <instance>' not specified"],
      ['an unknown flag', ['kp', 'keys', '-i', GUID, '--bogus'], "unknown option '--bogus'"],
      ['an unknown key state', ['kp', 'keys', '-i', GUID, '-e', 'sleeping'], 'Unknown key state "sleeping"'],
      ['a limit out of range', ['kp', 'keys', '-i', GUID, '-n', '0'], '--number-of-keys must be a whole number from 1 to 5000'],
      ['key material that is not base64', ['kp', 'key', 'create', 'k', '-i', GUID, '-k', 'not base64!'], '--key-material must be base64'],
      ['a root key of 80 bits', ['kp', 'key', 'create', 'k', '-i', GUID, '-k', randomBytes(10).toString('base64')], 'must be 128, 192 or 256 bits'],
      ['a missing ciphertext', ['kp', 'key', 'unwrap', 'k', '-i', GUID], "missing required argument 'ciphertext'"],
      ['a delete without -f and no terminal', ['kp', 'key', 'delete', 'k', '-i', GUID], 'Add -f'],
      ['a seal without -f and no terminal', ['hpcs', 'seal', '-i', GUID], 'Add -f (--force) to seal'],
      ['a threshold above the custodians', ['hpcs', 'init', '-i', GUID, '--threshold', '2', '--custodian', 'a=/nope.pem', '--out-dir', '/tmp/x'], 'is not an RSA public key'],
      ['no key part and no terminal', ['hpcs', 'unseal', '-i', GUID], 'No key part given and no terminal'],
      ['half of a custodian key pair', ['hpcs', 'unseal', '-i', GUID, '--private-key', '/nope.pem'], '--encrypted-part-file and --private-key go together'],
    ])('%s is a usage error: exit 2 with what to fix', (_case, args, message) => {
      const run = keyward(admin, args);
      expect(run.stderr).toContain(message);
      expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 2, stdout: '' });
    });

    it('without a session every kp and hpcs command says to log in (exit 3)', () => {
      for (const args of [['kp', 'keys', '-i', GUID], ['hpcs', 'status', '-i', GUID]]) {
        const run = keyward(newConfigDir(), args);
        expect(run.status).toBe(3);
        expect(run.stderr).toContain('keyward login');
      }
    });
  });

  describe('kp', () => {
    it('creates, lists, shows, wraps, unwraps, rewraps and rotates a root key', () => {
      const key = json<Key>(keyward(admin, ['kp', 'key', 'create', 'cli-root', '-i', instance, '-D', 'made by the CLI e2e', '--output', 'json']));
      expect(key).toMatchObject({ name: 'cli-root', state: 1, extractable: false });

      const table = keyward(admin, ['kp', 'keys', '-i', instance]);
      expect(table.stdout).toMatch(/^KEY ID\s+KEY NAME\s+TYPE\s+STATE\s+CREATED$/m);
      expect(table.stdout).toMatch(new RegExp(`^${key.id}\\s+cli-root\\s+root\\s+Active\\s`, 'm'));
      const shown = keyward(admin, ['kp', 'key', 'show', key.id, '-i', instance]);
      expect(shown.stdout).toMatch(/Description:\s+made by the CLI e2e/);

      const generated = json<Wrapped>(keyward(admin, ['kp', 'key', 'wrap', key.id, '-i', instance, '--output', 'json']));
      expect(Buffer.from(generated.plaintext ?? '', 'base64')).toHaveLength(32);
      const unwrapped = json<{ plaintext: string }>(keyward(admin, ['kp', 'key', 'unwrap', key.id, generated.ciphertext, '-i', instance, '--output', 'json']));
      expect(unwrapped.plaintext).toBe(generated.plaintext);

      const dek = randomBytes(32).toString('base64');
      const wrapped = json<Wrapped>(keyward(admin, ['kp', 'key', 'wrap', key.id, '-i', instance, '-p', `@${secretFile(admin, dek)}`, '-a', 'tenant-1,table-2', '--output', 'json']));
      expect(wrapped.plaintext).toBeUndefined();
      refused(keyward(admin, ['kp', 'key', 'unwrap', key.id, wrapped.ciphertext, '-i', instance, '-a', 'tenant-1']), 'UNPROCESSABLE_CIPHERTEXT_ERR');
      const table2 = keyward(admin, ['kp', 'key', 'unwrap', key.id, `@${secretFile(admin, wrapped.ciphertext)}`, '-i', instance, '-a', 'tenant-1,table-2']);
      expect(table2.stdout).toMatch(new RegExp(`Plaintext:\\s+${dek.replace(/[+/]/g, '\\$&')}`));

      expect(keyward(admin, ['kp', 'key', 'rotate', key.id, '-i', instance]).stdout).toContain(`Rotated key ${key.id}.`);
      const versions = json<{ id: string }[]>(keyward(admin, ['kp', 'key', 'versions', key.id, '-i', instance, '--output', 'json']));
      expect(versions).toHaveLength(2);
      refused(keyward(admin, ['kp', 'key', 'rotate', key.id, '-i', instance]), 'KEY_ROTATION_NOT_PERMITTED');
      const rewrapped = json<Wrapped & { rewrappedKeyVersion: { id: string } }>(keyward(admin, ['kp', 'key', 'rewrap', key.id, generated.ciphertext, '-i', instance, '--output', 'json']));
      expect(rewrapped.rewrappedKeyVersion.id).toBe(versions[0]!.id);
    });

    it('imports a root key and a standard key without printing the material', () => {
      const material = randomBytes(32).toString('base64');
      const create = keyward(admin, ['kp', 'key', 'create', 'cli-imported', '-i', instance, '-k', `@${secretFile(admin, material)}`]);
      expect(create.status).toBe(0);
      expect(create.stdout).toMatch(/Imported:\s+true/);
      const standardMaterial = randomBytes(20).toString('base64');
      const standard = keyward(admin, ['kp', 'key', 'create', 'cli-standard', '-i', instance, '-s', '-k', standardMaterial, '--output', 'json']);
      expect(json<Key>(standard)).toMatchObject({ extractable: true, imported: true });
      for (const run of [create, standard]) expect(run.stdout + run.stderr).not.toMatch(new RegExp(`${material.slice(0, 20)}|${standardMaterial.slice(0, 20)}`.replace(/[+/]/g, '\\$&')));
    });

    it('disables, refuses an early enable, deletes, lists destroyed keys, refuses an early restore and purge, and names unknown keys', () => {
      const key = json<Key>(keyward(admin, ['kp', 'key', 'create', 'cli-lifecycle', '-i', instance, '--output', 'json']));
      expect(keyward(admin, ['kp', 'key', 'disable', key.id, '-i', instance]).status).toBe(0);
      refused(keyward(admin, ['kp', 'key', 'wrap', key.id, '-i', instance]), 'KEY_ACTION_INVALID_STATE_ERR');
      const early = keyward(admin, ['kp', 'key', 'enable', key.id, '-i', instance]);
      refused(early, 'REQ_TOO_EARLY_ERR');
      expect(early.stderr).toContain('try again later');

      const deleted = keyward(admin, ['kp', 'key', 'delete', key.id, '-i', instance, '-f']);
      expect(deleted.stdout).toContain(`Deleted key ${key.id}.`);
      expect(deleted.stderr).toContain('keyward kp key restore');
      expect(json<Key[]>(keyward(admin, ['kp', 'keys', '-i', instance, '--output', 'json'])).map((k) => k.id)).not.toContain(key.id);
      const destroyed = keyward(admin, ['kp', 'keys', '-i', instance, '-e', 'destroyed']);
      expect(destroyed.stdout).toMatch(new RegExp(`^${key.id}\\s+cli-lifecycle\\s+root\\s+Destroyed`, 'm'));
      refused(keyward(admin, ['kp', 'key', 'restore', key.id, '-i', instance]), 'REQ_TOO_EARLY_ERR');
      const purge = keyward(admin, ['kp', 'key', 'purge', key.id, '-i', instance, '-f']);
      expect(purge.status).toBe(4);
      expect(purge.stderr).toMatch(/REQ_TOO_EARLY_ERR|UNAUTHORIZED_ERR/);

      const unknown = keyward(admin, ['kp', 'key', 'show', GUID, '-i', instance]);
      refused(unknown, 'KEY_NOT_FOUND_ERR');
      expect(unknown.stderr).toContain(`keyward kp keys -i ${instance}`);
    });

    it('renews an expired token before the call, and says to log in when the session has ended (exit 3)', () => {
      const dir = loggedIn(adminKey());
      editSession(dir, { expiration: 1, accessToken: 'garbage' });
      expect(keyward(dir, ['kp', 'keys', '-i', instance]).status).toBe(0);
      editSession(dir, { accessToken: 'garbage', refreshToken: 'garbage', apiKey: 'kw_revoked-key-000000000000000000' });
      const ended = keyward(dir, ['kp', 'keys', '-i', instance]);
      expect(ended.status).toBe(3);
      expect(ended.stderr).toContain('keyward login');
    });

    it('a service ID without a policy is refused (exit 4, with the role to ask for); with Reader it lists but may not create', async () => {
      const serviceId = json<{ id: string; iam_id: string }>(keyward(admin, ['iam', 'service-id-create', `cli-kp-app-${Date.now()}`, '--output', 'json']));
      const key = json<{ apikey: string }>(keyward(admin, ['iam', 'api-key-create', 'cli-kp-app-key', '--iam-id', serviceId.iam_id, '--output', 'json']));
      const app = loggedIn(key.apikey);
      const refusedList = keyward(app, ['kp', 'keys', '-i', instance]);
      refused(refusedList, 'UNAUTHORIZED_ERR');
      expect(refusedList.stderr).toContain('--roles');

      expect(keyward(admin, ['iam', 'service-policy-create', serviceId.id, '--roles', 'Reader', '--service-name', 'kms', '--service-instance', instance]).status).toBe(0);
      await expectEventually(() => expect(keyward(app, ['kp', 'keys', '-i', instance]).status).toBe(0), { timeoutMs: 70_000, intervalMs: 1000 });
      refused(keyward(app, ['kp', 'key', 'create', 'not-allowed', '-i', instance]), 'UNAUTHORIZED_ERR');
    });
  });

  describe('hpcs', () => {
    const custodians = ['alice', 'bob'].map((name) => ({
      name,
      ...generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }),
    }));

    it('a sealed crypto unit refuses keys; init, unseal (file and decrypted part), keys work, seal, rotate the master key', () => {
      const hpcs = json<{ guid: string }>(keyward(admin, ['resource', 'service-instance-create', `cli-hpcs-${Date.now()}`, 'hs-crypto', 'standard', '-l', 'us-south', '--output', 'json'])).guid;
      const before = keyward(admin, ['hpcs', 'status', '-i', hpcs]);
      expect(before.stdout).toMatch(/State:\s+uninitialized/);
      expect(before.stderr).toContain('keyward hpcs init');
      const sealed = keyward(admin, ['kp', 'key', 'create', 'too-early', '-i', hpcs]);
      refused(sealed, 'DOMAIN_SEALED_ERR');
      expect(sealed.stderr).toContain('keyward hpcs unseal');
      refused(keyward(admin, ['hpcs', 'unseal', '-i', hpcs, '--part-file', secretFile(admin, randomBytes(33).toString('base64'))]), 'no ceremony yet');

      const dir = join(newConfigDir(), '..', 'ceremony');
      const pem = (c: (typeof custodians)[number]) => secretFile(admin, c.publicKey);
      const keyOf = (c: (typeof custodians)[number]) => secretFile(admin, c.privateKey);
      const init = keyward(admin, ['hpcs', 'init', '-i', hpcs, '--threshold', '2', ...custodians.flatMap((c) => ['--custodian', `${c.name}=${pem(c)}`]), '--out-dir', dir]);
      expect(init.status).toBe(0);
      expect(init.stdout).toContain('any 2 of them unseal');
      for (const c of custodians) expect(statSync(join(dir, `${c.name}.part`)).mode & 0o777).toBe(0o600);
      // Parts are returned once: an existing file is never overwritten.
      expect(keyward(admin, ['hpcs', 'init', '-i', hpcs, '--threshold', '1', '--custodian', `alice=${pem(custodians[0]!)}`, '--out-dir', dir]).status).toBe(2);

      const first = keyward(admin, ['hpcs', 'unseal', '-i', hpcs, '--encrypted-part-file', join(dir, 'alice.part'), '--private-key', keyOf(custodians[0]!)]);
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/sealed\s+1\/2/);
      expect(first.stderr).toContain('More parts are needed');
      const second = keyward(admin, ['hpcs', 'unseal', '-i', hpcs, '--encrypted-part-file', join(dir, 'bob.part'), '--private-key', keyOf(custodians[1]!), '--output', 'json']);
      expect(json<{ replicas: { state: string }[] }>(second).replicas.every((r) => r.state === 'active')).toBe(true);
      expect(keyward(admin, ['hpcs', 'status', '-i', hpcs]).stdout).toMatch(/State:\s+active/);

      const key = json<Key>(keyward(admin, ['kp', 'key', 'create', 'kyok-root', '-i', hpcs, '--output', 'json']));
      const wrapped = json<Wrapped>(keyward(admin, ['kp', 'key', 'wrap', key.id, '-i', hpcs, '--output', 'json']));

      const rotationDir = join(dir, 'rotation');
      const rotation = keyward(admin, ['hpcs', 'init', '-i', hpcs, '--rotation', '--threshold', '2', ...custodians.flatMap((c) => ['--custodian', `${c.name}=${pem(c)}`]), '--out-dir', rotationDir]);
      expect(rotation.stderr).toContain('keyward hpcs rotate-master-key');
      for (const c of custodians) {
        const run = keyward(admin, ['hpcs', 'rotate-master-key', '-i', hpcs, '--encrypted-part-file', join(rotationDir, `${c.name}.part`), '--private-key', keyOf(c)]);
        expect(run.status).toBe(0);
        expect(run.stdout).toContain('Part accepted');
      }
      expect(json<{ plaintext: string }>(keyward(admin, ['kp', 'key', 'unwrap', key.id, wrapped.ciphertext, '-i', hpcs, '--output', 'json'])).plaintext).toBe(wrapped.plaintext);

      const seal = keyward(admin, ['hpcs', 'seal', '-i', hpcs, '-f']);
      expect(seal.stdout).toContain('Sealed the crypto unit');
      refused(keyward(admin, ['kp', 'key', 'unwrap', key.id, wrapped.ciphertext, '-i', hpcs]), 'DOMAIN_SEALED_ERR');

      // No part, encrypted or not, appears in anything the CLI printed.
      const printed = [before, init, first, second, rotation, seal].map((r) => r.stdout + r.stderr).join('\n');
      for (const file of [join(dir, 'alice.part'), join(dir, 'bob.part')]) expect(printed).not.toContain(readFileSync(file, 'utf8').trim().slice(0, 40));
    });

    it('refuses ceremonies to a non-Manager and on a Key Protect instance (exit 4)', () => {
      const serviceId = json<{ id: string; iam_id: string }>(keyward(admin, ['iam', 'service-id-create', `cli-hpcs-app-${Date.now()}`, '--output', 'json']));
      const key = json<{ apikey: string }>(keyward(admin, ['iam', 'api-key-create', 'cli-hpcs-key', '--iam-id', serviceId.iam_id, '--output', 'json']));
      const hpcs = json<{ guid: string }>(keyward(admin, ['resource', 'service-instance-create', `cli-hpcs2-${Date.now()}`, 'hs-crypto', 'standard', '-l', 'us-south', '--output', 'json'])).guid;
      const stranger = keyward(loggedIn(key.apikey), ['hpcs', 'seal', '-i', hpcs, '-f']);
      refused(stranger, 'UNAUTHORIZED_ERR');
      expect(stranger.stderr).toContain('Manager role');
      refused(keyward(admin, ['hpcs', 'status', '-i', instance]), 'UNAUTHORIZED_ERR');
    });
  });
});
