import { DomainError } from '@keyward/contracts';

export const SCHEMATICS_DEFAULT_KEY = Symbol('SCHEMATICS_DEFAULT_KEY');

/** Schematics' own root key, used where an account has no KMS settings for the location. */
export interface DefaultKey {
  keyCrn(): Promise<string>;
}

/**
 * The operator's root key (KEYWARD_SCHEMATICS_DEFAULT_KEY_CRN), in a `kms` instance of the platform
 * account that authorizes `schematics` (Reader). Unset: workspaces need KMS settings for their location.
 */
export function configuredDefaultKey(keyCrn: string | undefined): DefaultKey {
  return {
    keyCrn: async () => {
      if (keyCrn) return keyCrn;
      throw new DomainError('CONFLICT_ERR', 'No KMS settings for this location and no Schematics default root key is configured: enable KMS settings for the location first');
    },
  };
}
