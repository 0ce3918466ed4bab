import { parseCrn } from '@keyward/contracts';
import type { KeyRef } from './kms-client';

/** A root key as a consumer's user names it: its CRN (`crn:v1:keyward:public:kms:<region>:a/<account>:<instance>:key:<id>`). */
export interface KeyLocation {
  /** `kms` (Key Protect) or `hs-crypto` (Hyper Protect Crypto Services). */
  serviceName: string;
  region: string;
  accountId: string;
  instanceId: string;
  keyId: string;
}

/** Reads a root key CRN (cloud name `keyward` or `bluemix`); undefined when it names no KMS key. */
export function parseKeyCrn(keyCrn: string): KeyLocation | undefined {
  const crn = parseCrn(keyCrn);
  if (!crn || (crn.service !== 'kms' && crn.service !== 'hs-crypto')) return undefined;
  if (crn.resourceType !== 'key' || !crn.resource || !crn.serviceInstance) return undefined;
  return { serviceName: crn.service, region: crn.location, accountId: crn.accountId, instanceId: crn.serviceInstance, keyId: crn.resource };
}

/** The KeyRef for calls about `sourceCrn`'s data under the key `keyCrn` (at `kmsUrl` when not the default KMS). */
export function keyRefFromCrn(keyCrn: string, sourceCrn: string, kmsUrl?: string): KeyRef | undefined {
  const key = parseKeyCrn(keyCrn);
  if (!key) return undefined;
  return { instanceId: key.instanceId, keyId: key.keyId, sourceCrn, ...(kmsUrl ? { kmsUrl } : {}) };
}
