import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './repo-root';

/**
 * What an HSM under test needs to serve the platform domain at once: a fresh platform parts file and
 * storage key, made by tools/dev/hsm-dev-parts.ts in a child process (libs/testing may not import
 * @keyward/crypto). Development and tests only: whoever reads the file holds the master key.
 */
export function createHsmDevEnv(): { KEYWARD_HSM_PLATFORM_PARTS_FILE: string; KEYWARD_HSM_STORAGE_KEY: string } {
  const partsFile = join(mkdtempSync(join(tmpdir(), 'keyward-hsm-parts-')), 'platform-parts.json');
  const storageKey = randomBytes(32).toString('base64');
  const root = repoRoot();
  execFileSync(process.execPath, ['-r', '@swc-node/register', join(root, 'tools/dev/hsm-dev-parts.ts')], {
    cwd: root,
    env: { PATH: process.env['PATH'], KEYWARD_HSM_PLATFORM_PARTS_FILE: partsFile, KEYWARD_HSM_STORAGE_KEY: storageKey },
    stdio: 'ignore',
    timeout: 60_000,
  });
  return { KEYWARD_HSM_PLATFORM_PARTS_FILE: partsFile, KEYWARD_HSM_STORAGE_KEY: storageKey };
}
