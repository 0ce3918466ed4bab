import { DomainError } from '@keyward/contracts';
import { objectBody } from '../keys/key-input';

export const POLICY_TYPE = 'application/vnd.ibm.kms.policy+json';

const field = (name: string, message: string) => new DomainError('INVALID_FIELD_ERR', message, { target: { type: 'field', name } });

/**
 * The resources of a policy envelope (KEY-PROTECT-API.md §3): `collectionTotal` must match, and
 * there are 1 to `max` object resources.
 */
export function policyResources(body: unknown, max: number): Record<string, unknown>[] {
  const envelope = objectBody(body, { required: true });
  const resources = envelope['resources'];
  if (!Array.isArray(resources)) throw new DomainError('BAD_BODY_ERR', 'resources must be an array', { target: { type: 'field', name: 'resources' } });
  const metadata = envelope['metadata'];
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    throw new DomainError('BAD_BODY_ERR', 'metadata must be an object', { target: { type: 'field', name: 'metadata' } });
  }
  const total = (metadata as Record<string, unknown> | undefined)?.['collectionTotal'];
  if (total !== undefined && total !== resources.length) {
    throw new DomainError('COLLECTION_TOTAL_MISMATCH_ERR', `collectionTotal is ${String(total)} but ${resources.length} resources were sent`);
  }
  if (resources.length < 1 || resources.length > max) throw new DomainError('NUM_COLLECTION_RESOURCE_ERR', `Between 1 and ${max} resources are expected`);
  return resources.map((resource) => {
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
      throw new DomainError('BAD_BODY_ERR', 'each resource must be an object', { target: { type: 'field', name: 'resources' } });
    }
    return resource as Record<string, unknown>;
  });
}

export function objectField(source: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = source[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw field(name, `${name} must be an object`);
  return value as Record<string, unknown>;
}

export function booleanOf(source: Record<string, unknown>, name: string, path: string, fallback?: boolean): boolean {
  const value = source[name];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'boolean') throw field(path, `${path} must be true or false`);
  return value;
}

/** `interval_month`: a whole number of months from 1 to 12 (the Go client sends −1 for 0; §10: 400). */
export function intervalMonth(source: Record<string, unknown>, path: string): number {
  const value = source['interval_month'];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 12) {
    throw field(path, `${path} must be a whole number of months from 1 to 12`);
  }
  return value;
}

export { field as invalidField };
