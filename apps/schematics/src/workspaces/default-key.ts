import type { Provider } from '@nestjs/common';
import { type KmsClientConfig, ServiceDefaultKey, serviceDefaultKeyProviders } from '@keyward/kms-client';

export const SCHEMATICS_DEFAULT_KEY = Symbol('SCHEMATICS_DEFAULT_KEY');

/** Schematics' own root key, used where an account has no KMS settings for the location. */
export interface DefaultKey {
  keyCrn(): Promise<string>;
}

/**
 * Schematics' own root key (issue 10): by default the key named `keyward-default-root-key` in the `kms`
 * instance IAM's bootstrap keeps for `schematics`, created at start when missing; the operator may
 * name another with KEYWARD_SCHEMATICS_DEFAULT_KEY_CRN. While it is not available yet (IAM or the KMS
 * not reachable at start), workspaces that need it get a 503 and /health says `degraded`.
 */
export function defaultKeyProviders(options: { kms: KmsClientConfig; defaultKeyCrn?: string }): Provider[] {
  return [
    ...serviceDefaultKeyProviders({
      service: 'schematics',
      ...(options.defaultKeyCrn ? { configuredKeyCrn: options.defaultKeyCrn } : {}),
      kms: options.kms,
      hint: 'enable KMS settings for the location to use your own key',
    }),
    { provide: SCHEMATICS_DEFAULT_KEY, inject: [ServiceDefaultKey], useFactory: (key: ServiceDefaultKey): DefaultKey => ({ keyCrn: async () => key.keyCrn() }) },
  ];
}
