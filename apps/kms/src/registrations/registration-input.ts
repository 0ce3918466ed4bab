import { DomainError } from '@keyward/contracts';
import { booleanField, isEmptyBody, optionalString, singleResource } from '../keys/key-input';

export const REGISTRATION_TYPE = 'application/vnd.ibm.kms.registration+json';
export const MAX_CRN_LENGTH = 512;

const pathError = (message: string) => new DomainError('INVALID_FIELD_ERR', message, { target: { type: 'field', name: 'urlEncodedResourceCRN' } });

/** URL-decodes until the value no longer changes: the Java client encodes the CRN twice (KEY-PROTECT-API.md §5). */
export function decodeUntilStable(value: string): string | undefined {
  let current = value;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return undefined;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** The registered resource's CRN from the path: `crn:v1:<cloud>:<ctype>:<service>:<location>:<scope>:<instance>:<type>:<resource>`. */
export function resourceCrnParam(raw: string): { crn: string; service: string } {
  const crn = decodeUntilStable(raw);
  if (crn === undefined) throw pathError('The resource CRN is not a valid URL-encoded string');
  const parts = crn.split(':');
  if (crn.length > MAX_CRN_LENGTH || parts.length < 10 || parts[0] !== 'crn' || parts[1] !== 'v1' || !/^[a-z][a-z0-9-]*$/.test(parts[4] ?? '') || /[\s*]/.test(crn)) {
    throw pathError('The resource CRN must be a CRN: crn:v1:<cloud>:<type>:<service>:<location>:<scope>:<instance>:<resource-type>:<resource>');
  }
  return { crn, service: parts[4] as string };
}

/** `urlEncodedResourceCRNQuery` → a LIKE pattern (`*` matches anything; `%`, `_` and `\` are literal). */
export function crnQueryParam(raw: string | undefined, options: { allKeys: boolean }): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const decoded = decodeUntilStable(raw);
  const queryError = (message: string) => new DomainError('INVALID_QUERY_PARAM_ERR', message, { target: { type: 'query', name: 'urlEncodedResourceCRNQuery' } });
  if (decoded === undefined || decoded.length > MAX_CRN_LENGTH || !decoded.startsWith('crn:')) throw queryError('urlEncodedResourceCRNQuery must be a URL-encoded CRN, with * as a wildcard');
  // Key Protect: across all keys, the first eight segments (up to the service instance) are given exactly.
  if (options.allKeys && decoded.split(':').slice(0, 8).some((segment) => segment.includes('*'))) {
    throw queryError('urlEncodedResourceCRNQuery may use * only in the resource type and resource segments');
  }
  return decoded.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

export interface RegistrationInput {
  preventKeyDeletion?: boolean;
  description?: string | null;
  registrationMetadata?: string | null;
  keyVersionId?: string;
}

/** The registration_input envelope (one resource); an empty body means defaults. */
export function registrationBody(body: unknown, options: { required: boolean }): RegistrationInput {
  if (isEmptyBody(body)) {
    if (options.required) throw new DomainError('NO_BODY_ERR');
    return {};
  }
  const resource = singleResource(body);
  const input: RegistrationInput = {};
  const prevent = booleanField(resource, 'preventKeyDeletion');
  if (prevent !== undefined) input.preventKeyDeletion = prevent;
  if ('description' in resource) input.description = optionalString(resource, 'description', { max: 240 }) ?? null;
  if ('registrationMetadata' in resource) input.registrationMetadata = optionalString(resource, 'registrationMetadata', { max: 4096 }) ?? null;
  const version = optionalString(resource, 'keyVersionId', { min: 1, max: 64 });
  if (version !== undefined) input.keyVersionId = version;
  return input;
}
