import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_APIKEY_ENV, SERVICE_NAMES, serviceApiKeyEnvName } from '@keyward/contracts';

/**
 * Development API keys: the admin's and one per service, generated once and kept in
 * .keyward/dev-secrets.env (git-ignored, mode 600) so they survive restarts. Values set in the
 * environment win, as in compose.
 */
export function loadOrCreateDevSecrets(root: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const dir = join(root, '.keyward');
  const file = join(dir, 'dev-secrets.env');
  const stored: Record<string, string> = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^([A-Z0-9_]+)=(.+)$/.exec(line.trim());
      if (match) stored[match[1] as string] = match[2] as string;
    }
  }
  const names = [ADMIN_APIKEY_ENV, ...SERVICE_NAMES.map(serviceApiKeyEnvName)];
  const secrets: Record<string, string> = {};
  for (const name of names) secrets[name] = env[name] ?? stored[name] ?? `kwdev_${randomBytes(24).toString('base64url')}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, names.map((name) => `${name}=${stored[name] ?? secrets[name]}`).join('\n') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}
