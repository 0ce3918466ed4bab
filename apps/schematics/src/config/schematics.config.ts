import { z } from 'zod';
import { CONSUMER_SERVICE_NAMES } from '@keyward/contracts';
import { kmsClientConfigFrom, kmsClientEnvShape, parseKeyCrn } from '@keyward/kms-client';
import { type Env, loadServiceConfig } from '@keyward/platform';

/** Schematics's environment: the common variables, how it reaches the KMS as `schematics`, and its own root key. */
export function loadSchematicsConfig(env: Env) {
  const service = CONSUMER_SERVICE_NAMES['schematics'];
  const { service: serviceConfig, own } = loadServiceConfig('schematics', env, {
    ...kmsClientEnvShape(service),
    KEYWARD_SCHEMATICS_DEFAULT_KEY_CRN: z
      .string()
      .optional()
      .refine((value) => value === undefined || value === '' || parseKeyCrn(value) !== undefined, 'must be the CRN of a root key'),
  });
  const defaultKeyCrn = (own['KEYWARD_SCHEMATICS_DEFAULT_KEY_CRN'] as string | undefined) || undefined;
  return { service: serviceConfig, kms: kmsClientConfigFrom(own, service), ...(defaultKeyCrn ? { defaultKeyCrn } : {}) };
}
