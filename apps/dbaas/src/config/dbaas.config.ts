import { CONSUMER_SERVICE_NAMES } from '@keyward/contracts';
import { kmsClientConfigFrom, kmsClientEnvShape } from '@keyward/kms-client';
import { type Env, loadServiceConfig } from '@keyward/platform';

/** Hyper Protect DBaaS's environment: the common variables plus how it reaches the KMS as `hyperp-dbaas-postgresql`. */
export function loadDbaasConfig(env: Env) {
  const service = CONSUMER_SERVICE_NAMES['dbaas'];
  const { service: serviceConfig, own } = loadServiceConfig('dbaas', env, kmsClientEnvShape(service));
  return { service: serviceConfig, kms: kmsClientConfigFrom(own, service) };
}
