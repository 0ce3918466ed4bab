import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runCeremony } from '@keyward/crypto';

/** A platform parts file (as tools/dev/hsm-dev-parts.ts writes) plus the raw parts, for leak searches. */
export async function writePlatformPartsFile(threshold = 2, parts = 3): Promise<{ path: string; parts: Buffer[]; storageKey: string }> {
  const ceremony = await runCeremony('platform', parts, threshold);
  const directory = mkdtempSync(join(tmpdir(), 'keyward-hsm-'));
  const path = join(directory, 'platform-parts.json');
  writeFileSync(path, JSON.stringify({ domainId: 'platform', threshold, parts: ceremony.parts.map((part) => part.toString('base64')) }), { mode: 0o600 });
  return { path, parts: ceremony.parts, storageKey: randomBytes(32).toString('base64') };
}
