import { z } from 'zod';
import { CONSUMER_SERVICE_NAMES, serviceApiKeyEnvName } from '@keyward/contracts';
import { kmsClientConfigFrom, kmsClientEnvShape } from '@keyward/kms-client';
import { type Env, envFields, loadServiceConfig } from '@keyward/platform';

/** The backup worker's own IAM service identity: it reaches keys only through authorization delegation. */
export const BACKUP_SERVICE = 'hyperp-dbaas-backup' as const;

/**
 * Hyper Protect DBaaS's environment: the common variables, how it reaches the KMS as
 * `hyperp-dbaas-postgresql`, and the backup worker's own API key (`hyperp-dbaas-backup`).
 */
export function loadDbaasConfig(env: Env) {
  const service = CONSUMER_SERVICE_NAMES['dbaas'];
  const backupKeyEnv = serviceApiKeyEnvName(BACKUP_SERVICE);
  const { service: serviceConfig, own } = loadServiceConfig('dbaas', env, {
    ...kmsClientEnvShape(service),
    [backupKeyEnv]: envFields.secret(20),
    KEYWARD_DBAAS_BACKUP_INTERVAL_MS: envFields.positiveInt(24 * 3600_000),
    // A root key CRN (crn:v1:…:kms|hs-crypto:…:key:<id>), checked again where it is used.
    KEYWARD_DBAAS_DEFAULT_KEY_CRN: z.string().regex(/^crn:v1:[a-z]+:public:(kms|hs-crypto):[^:]*:a\/[0-9a-f]{32}:[0-9a-f-]{36}:key:[0-9a-f-]{36}$/, 'must be a root key CRN').optional(),
  });
  const kms = kmsClientConfigFrom(own, service);
  return {
    service: serviceConfig,
    kms,
    /** The operator's override of DBaaS's own default key (unset: the service-owned key, created at start). */
    defaultKeyCrn: own['KEYWARD_DBAAS_DEFAULT_KEY_CRN'] as string | undefined,
    backup: { ...kms, apiKey: own[backupKeyEnv] as string, intervalMs: own['KEYWARD_DBAAS_BACKUP_INTERVAL_MS'] as number },
  };
}

export type DbaasConfig = ReturnType<typeof loadDbaasConfig>;
export const DBAAS_CONFIG = Symbol('DBAAS_CONFIG');
