import { DomainError } from '@keyward/contracts';

export const MAX_ALIASES_PER_KEY = 5;
export const MAX_ALIASES_PER_INSTANCE = 1000;
export const KEY_ALIAS_TYPE = 'application/vnd.ibm.kms.key_alias+json';

/** Names Key Protect reserves (KEY-PROTECT-API.md §2): they are path words, so never aliases. */
export const RESERVED_ALIASES = new Set([
  'allowed_ip',
  'key',
  'keys',
  'metadata',
  'policy',
  'policies',
  'registration',
  'registrations',
  'ring',
  'rings',
  'rotate',
  'wrap',
  'unwrap',
  'rewrap',
  'version',
  'versions',
]);

const ALIAS = /^[A-Za-z0-9_-]{2,90}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Could `value` name a key by alias? (Syntax only: used to skip lookups of impossible names.) */
export function isAliasSyntax(value: string): boolean {
  return ALIAS.test(value) && !UUID.test(value);
}

/**
 * An alias as Key Protect allows it: 2–90 characters from [A-Za-z0-9_-], not a UUID (it would shadow a
 * key id) and not a reserved name (compared case-insensitively). Otherwise 400 INVALID_FIELD_ERR.
 */
export function aliasField(value: unknown, name = 'alias'): string {
  const invalid = (message: string) => new DomainError('INVALID_FIELD_ERR', message, { target: { type: 'field', name } });
  if (typeof value !== 'string' || !ALIAS.test(value)) throw invalid(`${name} must be 2 to 90 characters from A-Z, a-z, 0-9, _ and -`);
  if (UUID.test(value)) throw invalid(`${name} must not be a UUID`);
  if (RESERVED_ALIASES.has(value.toLowerCase())) throw invalid(`${name} must not be a reserved name (${[...RESERVED_ALIASES].join(', ')})`);
  return value;
}

/** `aliases` of a create request: at most 5 distinct valid aliases. */
export function aliasesField(source: Record<string, unknown>): string[] {
  const value = source['aliases'];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new DomainError('INVALID_FIELD_ERR', 'aliases must be an array of strings', { target: { type: 'field', name: 'aliases' } });
  const aliases = value.map((entry) => aliasField(entry, 'aliases'));
  if (new Set(aliases).size !== aliases.length) throw new DomainError('INVALID_FIELD_ERR', 'aliases must not repeat', { target: { type: 'field', name: 'aliases' } });
  if (aliases.length > MAX_ALIASES_PER_KEY) throw new DomainError('KEY_ALIAS_QUOTA_ERR', `A key may have at most ${MAX_ALIASES_PER_KEY} aliases`);
  return aliases;
}
