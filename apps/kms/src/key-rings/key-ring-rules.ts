import { DomainError } from '@keyward/contracts';

/** The ring every instance has (never stored, never created or deleted). */
export const DEFAULT_KEY_RING = 'default';
/** Key Protect: at most 50 key rings per instance, `default` included (KEY-PROTECT-API.md §2). */
export const MAX_KEY_RINGS = 50;
export const KEY_RING_TYPE = 'application/vnd.ibm.kms.key_ring+json';

/** Keyward's choice (docs/KMS.md): 2 to 100 characters from [A-Za-z0-9_-]. */
const KEY_RING_ID = /^[A-Za-z0-9_-]{2,100}$/;

export function isKeyRingId(value: string): boolean {
  return KEY_RING_ID.test(value);
}

/** A key ring id from a path or a body: anything else is 400 INVALID_FIELD_ERR naming the field. */
export function keyRingIdField(value: unknown, name: string): string {
  if (typeof value !== 'string' || !isKeyRingId(value)) {
    throw new DomainError('INVALID_FIELD_ERR', `${name} must be 2 to 100 characters from A-Z, a-z, 0-9, _ and -`, { target: { type: 'field', name } });
  }
  return value;
}

/** The ring a request names in X-Kms-Key-Ring (blank means none). */
export function requestedKeyRing(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  return value ? value : undefined;
}
