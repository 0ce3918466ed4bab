// `keyward demo` as a new user runs it: one process walking every seed against the stack the e2e
// harness started, which must exit 0 (every step behaved as its seed says) and clean up after itself.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@keyward/testing';
import { adminKey, iamUrl, newConfigDir, removeConfigDirs } from './support/cli-process';

// The demo waits out Key Protect's 30-second enable window; on a loaded machine it takes longer.
jest.setTimeout(240_000);

afterAll(() => removeConfigDirs());

function runDemo(configDir: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot(), 'apps', 'cli', 'bin', 'keyward.js'), 'demo'], {
      env: { PATH: process.env['PATH'], HOME: join(configDir, '..'), KEYWARD_CONFIG_DIR: configDir, ...env },
      // Outside the repository: the only dev secrets it may find are the ones a test writes there.
      cwd: join(configDir, '..'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 200_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

describe('keyward demo (a process against the stack)', () => {
  it('walks every seed, each step with its command and result, cleans up, and exits 0', async () => {
    // As after `npm start`: the admin key only in .keyward/dev-secrets.env of the directory it runs in.
    const configDir = newConfigDir();
    mkdirSync(join(configDir, '..', '.keyward'), { mode: 0o700 });
    writeFileSync(join(configDir, '..', '.keyward', 'dev-secrets.env'), `KEYWARD_SERVICE_APIKEY_KMS=not-this-one\nKEYWARD_ADMIN_APIKEY=${adminKey()}\n`, { mode: 0o600 });
    const run = await runDemo(configDir, { KEYWARD_IAM_URL: iamUrl() });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    for (const heading of ['Seed 002 — Integrating services', 'Seed 003 — Protecting your keys', 'Seed 000 — App Configuration', 'Seed 004 — Hyper Protect DBaaS', 'Seed 001 — Schematics', 'Seed 000 (continued)', 'Cleaning up']) {
      expect(run.stdout).toContain(heading);
    }
    for (const command of ['$ keyward kp key wrap', '$ keyward hpcs init', '$ keyward app-config integration create', '$ keyward dbaas restore', '$ keyward schematics kms enable', '$ keyward schematics workspace variables']) {
      expect(run.stdout).toContain(command);
    }
    expect(run.stdout).toContain('is disabled (state 2)');
    expect(run.stdout).toContain('Every seed behaved as documented');
    expect(run.stdout).not.toContain(adminKey());
    // Every cleanup worked (a failed one prints "could not remove" and a count on stderr).
    expect(run.stdout).not.toContain('could not remove');
    expect(run.stdout).toMatch(/\$ keyward resource service-instance-delete [0-9a-f-]{36} -f/);
  });

  it('without an API key (none given, no dev secrets, no session) it says what to do and exits 2', async () => {
    const run = await runDemo(newConfigDir(), { KEYWARD_IAM_URL: iamUrl() });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('No API key for the demo');
  });
});
