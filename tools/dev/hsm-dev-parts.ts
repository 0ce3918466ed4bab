import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCeremony } from '@keyward/crypto';

/**
 * Development only: what the HSM needs for a single-machine start with a usable platform domain.
 * - .keyward/hsm-platform-parts.json: a 2-of-3 ceremony's parts of a fresh platform master key; the
 *   HSM auto-unseals the platform domain from it (KEYWARD_HSM_PLATFORM_PARTS_FILE). Whoever reads the
 *   file holds the master key: production loads parts through a ceremony (docs/HSM.md).
 * - KEYWARD_HSM_STORAGE_KEY: protects ceremony private keys at rest; kept in .keyward/hsm-storage-key.
 * Made once (git-ignored, mode 600) so keys survive restarts; delete .keyward/ and the HSM database
 * together for a fresh platform domain. Values set in the environment win.
 */
export async function loadOrCreateHsmDevEnv(root: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const dir = join(root, '.keyward');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const partsFile = env['KEYWARD_HSM_PLATFORM_PARTS_FILE'] ?? join(dir, 'hsm-platform-parts.json');
  if (!existsSync(partsFile)) {
    const ceremony = await runCeremony('platform', 3, 2);
    writeFileSync(partsFile, JSON.stringify({ domainId: 'platform', threshold: 2, parts: ceremony.parts.map((part) => part.toString('base64')) }, null, 2) + '\n', { mode: 0o600 });
    chmodSync(partsFile, 0o600);
    for (const part of [ceremony.masterKey, ...ceremony.parts]) part.fill(0);
  }
  const storageKeyFile = join(dir, 'hsm-storage-key');
  let storageKey = env['KEYWARD_HSM_STORAGE_KEY'];
  if (!storageKey) {
    storageKey = existsSync(storageKeyFile) ? readFileSync(storageKeyFile, 'utf8').trim() : randomBytes(32).toString('base64');
    writeFileSync(storageKeyFile, `${storageKey}\n`, { mode: 0o600 });
    chmodSync(storageKeyFile, 0o600);
  }
  return { KEYWARD_HSM_PLATFORM_PARTS_FILE: partsFile, KEYWARD_HSM_STORAGE_KEY: storageKey };
}

// `npm run hsm:dev-parts`: make (or keep) the development parts file and storage key without starting
// the stack, e.g. for docker compose, which mounts the file as a secret (docs/OPERATIONS.md §2).
if (require.main === module) {
  void loadOrCreateHsmDevEnv(join(__dirname, '..', '..'), process.env).then((hsmEnv) => {
    console.log(`platform parts file: ${hsmEnv['KEYWARD_HSM_PLATFORM_PARTS_FILE']}`);
    console.log(`storage key:         ${join(__dirname, '..', '..', '.keyward', 'hsm-storage-key')} (set KEYWARD_HSM_STORAGE_KEY to its content)`);
  });
}
