import { z } from 'zod';
import { ConfigError, type Env, envFields, loadServiceConfig } from '@keyward/platform';

const base64Key32 = z
  .string()
  .refine((value) => /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').length === 32, {
    message: 'must be 32 bytes in base64 (44 characters)',
  });

/**
 * The HSM daemon's environment.
 * - KEYWARD_HSM_BACKEND: `software` (master keys only in memory) or `pkcs11` (master keys in a token:
 *   KEYWARD_HSM_PKCS11_MODULE, KEYWARD_HSM_PKCS11_TOKEN_LABEL, KEYWARD_HSM_PKCS11_PIN; SoftHSM2 reads
 *   its token directory from SOFTHSM2_CONF).
 * - KEYWARD_HSM_STORAGE_KEY (required): protects ceremony private keys at rest; every replica of a
 *   deployment needs the same value, and it must stay the same across restarts: custodians encrypt
 *   their parts to the domain's ceremony key, whose private half is sealed under it, so an hs-crypto
 *   domain sealed after a restart can only be unsealed by a daemon holding the same storage key.
 * - KEYWARD_HSM_PLATFORM_PARTS_FILE: development convenience: a JSON file of platform master-key parts
 *   (tools/dev/hsm-dev-parts.ts writes one) from which the platform domain auto-unseals at start.
 */
export function loadHsmConfig(env: Env) {
  const { service, own } = loadServiceConfig('hsm', env, {
    KEYWARD_HSM_BACKEND: z.enum(['software', 'pkcs11']).default('software'),
    KEYWARD_HSM_PKCS11_MODULE: z.string().min(1).default('/usr/lib/softhsm/libsofthsm2.so'),
    KEYWARD_HSM_PKCS11_TOKEN_LABEL: z.string().min(1).default('keyward'),
    KEYWARD_HSM_PKCS11_PIN: z.string().min(4, 'must be at least 4 characters').optional(),
    KEYWARD_HSM_STORAGE_KEY: base64Key32,
    KEYWARD_HSM_PLATFORM_PARTS_FILE: z.string().min(1).optional(),
    KEYWARD_HSM_KEY_CACHE_SIZE: envFields.positiveInt(10_000),
    KEYWARD_HSM_KEY_CACHE_TTL_MS: envFields.positiveInt(300_000),
    KEYWARD_HSM_KEY_RECORD_TTL_MS: envFields.positiveInt(1000),
    KEYWARD_HSM_ROTATION_PAGE_SIZE: envFields.positiveInt(100),
  });
  if (own.KEYWARD_HSM_BACKEND === 'pkcs11' && !own.KEYWARD_HSM_PKCS11_PIN) {
    throw new ConfigError('hsm', [{ variable: 'KEYWARD_HSM_PKCS11_PIN', problem: 'is required when KEYWARD_HSM_BACKEND is pkcs11' }]);
  }
  const hsm: HsmConfig = {
    backend: own.KEYWARD_HSM_BACKEND,
    pkcs11:
      own.KEYWARD_HSM_BACKEND === 'pkcs11'
        ? { modulePath: own.KEYWARD_HSM_PKCS11_MODULE, tokenLabel: own.KEYWARD_HSM_PKCS11_TOKEN_LABEL, pin: own.KEYWARD_HSM_PKCS11_PIN ?? '' }
        : undefined,
    storageKey: Buffer.from(own.KEYWARD_HSM_STORAGE_KEY, 'base64'),
    platformPartsFile: own.KEYWARD_HSM_PLATFORM_PARTS_FILE,
    keyCacheSize: own.KEYWARD_HSM_KEY_CACHE_SIZE,
    keyCacheTtlMs: own.KEYWARD_HSM_KEY_CACHE_TTL_MS,
    keyRecordTtlMs: own.KEYWARD_HSM_KEY_RECORD_TTL_MS,
    rotationPageSize: own.KEYWARD_HSM_ROTATION_PAGE_SIZE,
  };
  return { service, hsm };
}

export interface HsmConfig {
  backend: 'software' | 'pkcs11';
  pkcs11?: { modulePath: string; tokenLabel: string; pin: string };
  storageKey: Buffer;
  platformPartsFile?: string;
  keyCacheSize: number;
  keyCacheTtlMs: number;
  /** How long a root key's record (state, newest version) is trusted before the database is read again. */
  keyRecordTtlMs: number;
  /** Key objects re-encrypted per page by the master-key rotation job. */
  rotationPageSize: number;
}

export const HSM_CONFIG = Symbol('HSM_CONFIG');
