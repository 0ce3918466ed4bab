import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$KEYWARD_CONFIG_DIR`, else `$XDG_CONFIG_HOME/keyward`, else `~/.config/keyward`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const explicit = env['KEYWARD_CONFIG_DIR'];
  if (explicit) return explicit;
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg) return join(xdg, 'keyward');
  return join(env['HOME'] || homedir(), '.config', 'keyward');
}
