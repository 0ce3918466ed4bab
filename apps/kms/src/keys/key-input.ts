import { DomainError, type ErrorCode, MAX_CIPHERTEXT_B64 } from '@keyward/contracts';

/**
 * Request bodies as the official clients send them (KEY-PROTECT-API.md §1): parsed as JSON whatever
 * the Content-Type, with empty bodies and the literal `null` meaning "no body". Every failure is a
 * documented 400 with the field named, never a 5xx.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Key Protect's wrap limit: 7,168 bytes of plaintext. */
export const MAX_DEK_BYTES = 7168;
export const MAX_AAD_ENTRY = 255;
export const MAX_AAD_ENTRIES = 64;

const invalid = (name: string, message: string, code: ErrorCode = 'INVALID_FIELD_ERR') =>
  new DomainError(code, message, { target: { type: 'field', name } });

/** Postgres cannot store NUL in text: refused here as bad input instead of failing the insert (a 500). */
const hasNul = (value: string) => value.includes('\u0000');

export function isEmptyBody(body: unknown): boolean {
  return body === undefined || body === null || body === '';
}

/** A JSON object, or {} when the body may be empty. */
export function objectBody(body: unknown, options: { required: boolean }): Record<string, unknown> {
  if (isEmptyBody(body)) {
    if (options.required) throw new DomainError('NO_BODY_ERR');
    return {};
  }
  if (typeof body !== 'object' || Array.isArray(body)) throw new DomainError('BAD_BODY_ERR', 'The request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A Key Protect collection request with exactly one resource (create). */
export function singleResource(body: unknown): Record<string, unknown> {
  const envelope = objectBody(body, { required: true });
  const resources = envelope['resources'];
  if (!Array.isArray(resources)) throw invalid('resources', 'resources must be an array', 'BAD_BODY_ERR');
  const metadata = envelope['metadata'];
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null)) throw invalid('metadata', 'metadata must be an object', 'BAD_BODY_ERR');
  const total = (metadata as Record<string, unknown> | undefined)?.['collectionTotal'];
  if (total !== undefined && total !== resources.length) {
    throw new DomainError('COLLECTION_TOTAL_MISMATCH_ERR', `collectionTotal is ${String(total)} but ${resources.length} resources were sent`);
  }
  if (resources.length !== 1) throw new DomainError('NUM_COLLECTION_RESOURCE_ERR', 'Exactly one resource is expected');
  const resource = resources[0];
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) throw invalid('resources', 'each resource must be an object', 'BAD_BODY_ERR');
  return resource as Record<string, unknown>;
}

export function optionalString(source: Record<string, unknown>, name: string, options: { min?: number; max: number }): string | undefined {
  const value = source[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || hasNul(value)) throw invalid(name, `${name} must be a string without NUL characters`);
  if (value.length < (options.min ?? 0) || value.length > options.max) {
    throw invalid(name, `${name} must be ${options.min ?? 0} to ${options.max} characters`);
  }
  return value;
}

export function base64Field(source: Record<string, unknown>, name: string): Buffer | undefined {
  const value = source[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || !BASE64.test(value)) throw invalid(name, `${name} must be base64`);
  return Buffer.from(value, 'base64');
}

export function aadField(source: Record<string, unknown>): string[] | undefined {
  const value = source['aad'];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) throw invalid('aad', 'aad must be an array of strings');
  if (value.length > MAX_AAD_ENTRIES) throw invalid('aad', `aad may have at most ${MAX_AAD_ENTRIES} entries`);
  if ((value as string[]).some((entry) => entry.length > MAX_AAD_ENTRY)) throw invalid('aad', `each aad entry may have at most ${MAX_AAD_ENTRY} characters`);
  return value as string[];
}

/** A DEK to wrap: base64 of 1 to 4,096 bytes. The decoded bytes are only measured, never kept. */
export function plaintextField(source: Record<string, unknown>): string | undefined {
  const bytes = base64Field(source, 'plaintext');
  if (!bytes) return undefined;
  const length = bytes.length;
  bytes.fill(0);
  if (length === 0 || length > MAX_DEK_BYTES) throw invalid('plaintext', `plaintext must be 1 to ${MAX_DEK_BYTES} bytes`);
  return source['plaintext'] as string;
}

export function ciphertextField(source: Record<string, unknown>): string {
  const value = source['ciphertext'];
  if (typeof value !== 'string' || value.length === 0) throw invalid('ciphertext', 'ciphertext is required');
  // Longer than the largest ciphertext the format makes (a 7,168-byte DEK): it cannot be one of ours.
  if (value.length > MAX_CIPHERTEXT_B64) throw new DomainError('UNPROCESSABLE_CIPHERTEXT_ERR');
  return value;
}

export function booleanField(source: Record<string, unknown>, name: string): boolean | undefined {
  const value = source[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(name, `${name} must be true or false`);
  return value;
}

export function tagsField(source: Record<string, unknown>): string[] {
  // The Go client sends "Tags" (its struct has no JSON tag).
  const value = source['tags'] ?? source['Tags'];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((tag) => typeof tag !== 'string' || tag.length < 2 || tag.length > 30 || hasNul(tag))) {
    throw invalid('tags', 'tags must be an array of 2 to 30 character strings');
  }
  if (value.length > 30) throw invalid('tags', 'at most 30 tags');
  return value as string[];
}

export function dateField(source: Record<string, unknown>, name: string, now: Date): Date | undefined {
  const value = source[name];
  if (value === undefined || value === null || value === '') return undefined;
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw invalid(name, `${name} must be an RFC 3339 date`);
  if (date.getTime() <= now.getTime()) throw invalid(name, `${name} must be in the future`);
  return date;
}
