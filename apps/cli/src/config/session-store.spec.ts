import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from '../cli-error';
import { configDir } from './config-dir';
import { SessionStore, type StoredSession } from './session-store';

const session: StoredSession = {
  version: 1,
  iamUrl: 'http://127.0.0.1:8101',
  endpoints: { kms: 'http://127.0.0.1:8102' },
  apiKey: 'kw_secret-api-key-value-000000000000',
  accessToken: 'header.payload.signature',
  refreshToken: 'refresh-secret',
  expiration: 2_000_000_000,
  user: { iamId: 'IBMid-abc', name: 'admin', accountId: 'a'.repeat(32), type: 'user' },
  target: { region: 'us-south' },
};

describe('configDir', () => {
  it('prefers KEYWARD_CONFIG_DIR, then XDG_CONFIG_HOME/keyward, then ~/.config/keyward', () => {
    expect(configDir({ KEYWARD_CONFIG_DIR: '/x/kw', XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toBe('/x/kw');
    expect(configDir({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toBe('/xdg/keyward');
    expect(configDir({ HOME: '/home/u' })).toBe('/home/u/.config/keyward');
  });
});

describe('SessionStore', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'keyward-store-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates the directory 0700 and the file 0600, and reads back what it wrote', () => {
    const store = new SessionStore(join(root, 'a', 'keyward'));
    expect(store.read()).toBeUndefined();
    store.write(session);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(store.read()).toEqual(session);
  });

  it('tightens an existing directory that others could read, and leaves no temporary files', () => {
    const dir = join(root, 'open');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const store = new SessionStore(dir);
    store.write(session);
    store.write({ ...session, accessToken: 'next.token.value' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(['session.json']);
    expect(store.read()?.accessToken).toBe('next.token.value');
  });

  it('a damaged file is an auth error that says how to start over, without echoing the file', () => {
    const store = new SessionStore(root);
    writeFileSync(store.path, '{"apiKey":"kw_leak-me-if-you-can", "broken": ', { mode: 0o600 });
    let error: unknown;
    try {
      store.read();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.auth);
    expect((error as CliError).hint).toContain('keyward logout');
    expect(`${(error as CliError).message} ${(error as CliError).hint}`).not.toContain('kw_leak-me');
  });

  it('clear removes the session and says whether there was one', () => {
    const store = new SessionStore(root);
    expect(store.clear()).toBe(false);
    store.write(session);
    expect(store.clear()).toBe(true);
    expect(store.read()).toBeUndefined();
  });
});
