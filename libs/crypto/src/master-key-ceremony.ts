import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { zeroize } from './aes-gcm';
import { CryptoError } from './crypto-error';

/**
 * Master-key ceremonies: a fresh 256-bit master key split into N Shamir parts, any M of which
 * reconstruct it (`shamir-secret-sharing`, independently audited; no field arithmetic of our own).
 *
 * Verification values let the HSM refuse a wrong part at once and a wrong combination before use:
 * - a part's check value is SHA-256 over a label, the domain and the part (a part is 33 random-looking
 *   bytes: its hash reveals nothing usable);
 * - the master key's check value is HMAC-SHA256(master key, label), a key check value that cannot be
 *   turned back into the key.
 */
export const MASTER_KEY_BYTES = 32;
export const MAX_CEREMONY_PARTS = 16;
const PART_CHECK_LABEL = 'keyward.ceremony-part-check.v1';
const MASTER_CHECK_LABEL = 'keyward.master-key-check.v1';

export interface Ceremony {
  masterKey: Buffer;
  parts: Buffer[];
  masterCheck: string;
  partChecks: string[];
}

export function validateThreshold(threshold: number, parts: number): void {
  if (!Number.isInteger(parts) || parts < 1 || parts > MAX_CEREMONY_PARTS) {
    throw new CryptoError('invalid-input', `a ceremony has 1 to ${MAX_CEREMONY_PARTS} custodians`);
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > parts) {
    throw new CryptoError('invalid-input', 'the threshold is between 1 and the number of custodians');
  }
}

export async function splitMasterKey(masterKey: Uint8Array, domainId: string, parts: number, threshold: number): Promise<Ceremony> {
  validateThreshold(threshold, parts);
  if (masterKey.length !== MASTER_KEY_BYTES) throw new CryptoError('invalid-input', 'a master key has 32 bytes');
  // The library needs at least 2 shares and a threshold of at least 2; a 1-of-1 ceremony is the key itself.
  let shares: Buffer[];
  if (parts === 1) shares = [Buffer.concat([Buffer.from(masterKey), Buffer.from([0])])];
  else if (threshold === 1) shares = Array.from({ length: parts }, (_, i) => Buffer.concat([Buffer.from(masterKey), Buffer.from([i])]));
  else shares = (await split(Uint8Array.from(masterKey), parts, threshold)).map((share) => Buffer.from(share));
  return {
    masterKey: Buffer.from(masterKey),
    parts: shares,
    masterCheck: masterKeyCheck(masterKey),
    partChecks: shares.map((share) => partCheck(domainId, share)),
  };
}

/** A new ceremony: fresh random master key, split. */
export async function runCeremony(domainId: string, parts: number, threshold: number): Promise<Ceremony> {
  const masterKey = randomBytes(MASTER_KEY_BYTES);
  try {
    return await splitMasterKey(masterKey, domainId, parts, threshold);
  } finally {
    zeroize(masterKey);
  }
}

/**
 * Rebuilds the master key from `threshold` parts and proves it against the stored check value
 * before anyone uses it.
 */
export async function combineParts(parts: readonly Uint8Array[], threshold: number, masterCheck: string): Promise<Buffer> {
  const masterKey = await rebuildMasterKey(parts, threshold);
  if (masterKey.length !== MASTER_KEY_BYTES || !checksEqual(masterKeyCheck(masterKey), masterCheck)) {
    zeroize(masterKey);
    throw new CryptoError('unauthentic', 'the parts do not rebuild the master key');
  }
  return masterKey;
}

/**
 * Rebuilds without a check value: only for a ceremony's first use when the check value is made from
 * the result (the platform domain's development parts file).
 */
export async function rebuildMasterKey(parts: readonly Uint8Array[], threshold: number): Promise<Buffer> {
  if (threshold < 1 || parts.length < threshold) throw new CryptoError('invalid-input', 'not enough parts to rebuild the master key');
  const [first] = parts;
  if (threshold === 1 && first) return Buffer.from(first.subarray(0, MASTER_KEY_BYTES));
  try {
    return Buffer.from(await combine(parts.slice(0, threshold).map((part) => Uint8Array.from(part))));
  } catch {
    throw new CryptoError('unauthentic', 'the parts do not rebuild a master key');
  }
}

export function partCheck(domainId: string, part: Uint8Array): string {
  return createHash('sha256').update(PART_CHECK_LABEL).update('\0').update(domainId).update('\0').update(part).digest('base64');
}

export function masterKeyCheck(masterKey: Uint8Array): string {
  return createHmac('sha256', masterKey).update(MASTER_CHECK_LABEL).digest('base64');
}

/** Index of the ceremony part this value is, or -1: a wrong part is refused on submission. */
export function findPart(domainId: string, part: Uint8Array, partChecks: readonly string[]): number {
  const check = partCheck(domainId, part);
  return partChecks.findIndex((expected) => checksEqual(expected, check));
}

function checksEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'base64');
  const right = Buffer.from(b, 'base64');
  return left.length === right.length && timingSafeEqual(left, right);
}
