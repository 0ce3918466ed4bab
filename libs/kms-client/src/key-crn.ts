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

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `id` is a key id (a UUID) rather than an alias. The KMS takes either, but lifecycle events
 * name keys by id only: a consumer that knew its key by an alias would never match them (and would go
 * on using a DEK of a disabled key). An alias can never look like a UUID (docs/KMS.md).
 */
export function isKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

/** Reads a root key CRN (cloud name `keyward` or `bluemix`); undefined when it names no KMS key (or names it by an alias). */
export function parseKeyCrn(keyCrn: string): KeyLocation | undefined {
  const crn = parseCrn(keyCrn);
  if (!crn || (crn.service !== 'kms' && crn.service !== 'hs-crypto')) return undefined;
  if (crn.resourceType !== 'key' || !crn.resource || !crn.serviceInstance || !isKeyId(crn.resource)) return undefined;
  return { serviceName: crn.service, region: crn.location, accountId: crn.accountId, instanceId: crn.serviceInstance, keyId: crn.resource };
}

/** The KeyRef for calls about `sourceCrn`'s data under the key `keyCrn` (at `kmsUrl` when not the default KMS). */
export function keyRefFromCrn(keyCrn: string, sourceCrn: string, kmsUrl?: string): KeyRef | undefined {
  const key = parseKeyCrn(keyCrn);
  if (!key) return undefined;
  return { instanceId: key.instanceId, keyId: key.keyId, sourceCrn, ...(kmsUrl ? { kmsUrl } : {}) };
}
