import { ADMIN_APIKEY_ENV } from '@keyward/contracts';
import { type Env, envFields, loadServiceConfig } from '@keyward/platform';

/** IAM's environment: the common variables plus the bootstrap admin's API key. */
export function loadIamConfig(env: Env) {
  const { service, own } = loadServiceConfig('iam', env, {
    [ADMIN_APIKEY_ENV]: envFields.secret(20),
  });
  return { service, adminApiKey: own[ADMIN_APIKEY_ENV] as string };
}

export type IamConfig = ReturnType<typeof loadIamConfig>;
