import { type Env, loadServiceConfig } from '@keyward/platform';

/** The KMS's environment (Key Protect windows, KEYWARD_KMS_<NAME>_MS, arrive with issue 6). */
export function loadKmsConfig(env: Env) {
  const { service } = loadServiceConfig('kms', env, {});
  return { service };
}
