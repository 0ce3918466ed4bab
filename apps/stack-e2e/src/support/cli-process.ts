// Running `keyward` as a user does: a process with its own config directory, against the stack the
// e2e harness started. Shared by the CLI suites.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appUrlEnvName } from '@keyward/contracts';
import { repoRoot } from '@keyward/testing';

export const iamUrl = (): string => {
  const value = process.env[appUrlEnvName('iam')];
  if (!value) throw new Error('KEYWARD_IAM_URL is not set: the e2e harness did not start');
  return value;
};

export const adminKey = (): string => {
  const value = process.env['KEYWARD_ADMIN_APIKEY'];
  if (!value) throw new Error('KEYWARD_ADMIN_APIKEY is not set: the e2e harness did not start');
  return value;
};

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Temporary directories made by one suite; `removeConfigDirs` in its afterAll. */
const dirs: string[] = [];

export function newConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-e2e-'));
  dirs.push(dir);
  return join(dir, 'config');
}

export function removeConfigDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** `node apps/cli/bin/keyward.js …` with only PATH, HOME and the config dir (plus `env`). */
export function keyward(configDir: string, args: string[], env: Record<string, string> = {}): Run {
  const run = spawnSync(process.execPath, [join(repoRoot(), 'apps', 'cli', 'bin', 'keyward.js'), ...args], {
    env: { PATH: process.env['PATH'], HOME: join(configDir, '..'), KEYWARD_CONFIG_DIR: configDir, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The JSON a successful `--output json` run printed (and nothing on stderr). */
export function json<T>(run: Run): T {
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(run.stdout) as T;
}

/** A file in the config dir's parent holding `content` (mode 0600). */
export function secretFile(configDir: string, content: string): string {
  const path = join(configDir, '..', `secret-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, `${content}\n`, { mode: 0o600 });
  return path;
}

/** A logged-in config dir for this API key. */
export function loggedIn(apiKey: string): string {
  const dir = newConfigDir();
  const login = keyward(dir, ['login', '--apikey', `@${secretFile(dir, apiKey)}`, '--endpoint', iamUrl()]);
  expect({ status: login.status, stderr: login.stderr }).toEqual({ status: 0, stderr: '' });
  return dir;
}

export interface StoredSession {
  accessToken: string;
  refreshToken?: string;
  apiKey?: string;
  expiration: number;
}
export const sessionPath = (configDir: string): string => join(configDir, 'session.json');
export const readSession = (configDir: string): StoredSession => JSON.parse(readFileSync(sessionPath(configDir), 'utf8')) as StoredSession;
export const editSession = (configDir: string, change: Partial<StoredSession>): void =>
  writeFileSync(sessionPath(configDir), JSON.stringify({ ...readSession(configDir), ...change }), { mode: 0o600 });
