import { CONSUMER_SERVICE_NAMES } from '@keyward/contracts';
import { kmsClientConfigFrom, kmsClientEnvShape } from '@keyward/kms-client';
import { type Env, loadServiceConfig } from '@keyward/platform';

/** Schematics's environment: the common variables plus how it reaches the KMS as `schematics`. */
export function loadSchematicsConfig(env: Env) {
  const service = CONSUMER_SERVICE_NAMES['schematics'];
  const { service: serviceConfig, own } = loadServiceConfig('schematics', env, kmsClientEnvShape(service));
  return { service: serviceConfig, kms: kmsClientConfigFrom(own, service) };
}
