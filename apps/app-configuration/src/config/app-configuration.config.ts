import { CONSUMER_SERVICE_NAMES } from '@keyward/contracts';
import { kmsClientConfigFrom, kmsClientEnvShape } from '@keyward/kms-client';
import { type Env, loadServiceConfig } from '@keyward/platform';

/** App Configuration's environment: the common variables plus how it reaches the KMS as `apprapp`. */
export function loadAppConfigurationConfig(env: Env) {
  const service = CONSUMER_SERVICE_NAMES['app-configuration'];
  const { service: serviceConfig, own } = loadServiceConfig('app-configuration', env, kmsClientEnvShape(service));
  return { service: serviceConfig, kms: kmsClientConfigFrom(own, service) };
}
