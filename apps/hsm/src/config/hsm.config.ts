import { type Env, loadServiceConfig } from '@keyward/platform';

/** The HSM daemon's environment (its backends and master-key settings arrive with issue 4). */
export function loadHsmConfig(env: Env) {
  const { service } = loadServiceConfig('hsm', env, {});
  return { service };
}
