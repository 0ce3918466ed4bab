import { DomainError } from '@keyward/contracts';
import { NAME_PATTERN } from '../clusters/cluster-input';

/** A row's serialized JSON may not exceed this (bytes of UTF-8). */
export const MAX_ROW_BYTES = 64 * 1024;
const ROW_ID_PATTERN = /^[A-Za-z0-9._~:-]{1,128}$/;

export type JsonRow = Record<string, unknown>;

export function checkTableName(table: string): void {
  if (!NAME_PATTERN.test(table)) {
    throw new DomainError('INVALID_FIELD_ERR', 'The table name must start with a lower-case letter and hold only a-z, 0-9, "-" and "_" (at most 63 characters)', {
      target: { type: 'field', name: 'table' },
    });
  }
}

export function checkRowId(rowId: string): void {
  if (!ROW_ID_PATTERN.test(rowId)) {
    throw new DomainError('INVALID_FIELD_ERR', 'A row id (the primary key `id`) is 1 to 128 characters of A-Z, a-z, 0-9, ".", "_", "~", ":" and "-"', {
      target: { type: 'field', name: 'id' },
    });
  }
}

/**
 * A row is a JSON object whose `id` (string or integer) is its primary key; `expectedId` (the path's)
 * must match when the body repeats it. Returns the row with `id` as a string and its serialized form.
 */
export function checkRow(body: unknown, expectedId?: string): { rowId: string; row: JsonRow; json: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('BAD_BODY_ERR', 'A row must be a JSON object');
  }
  const given = (body as JsonRow)['id'];
  if (given !== undefined && typeof given !== 'string' && !Number.isSafeInteger(given)) {
    throw new DomainError('INVALID_FIELD_ERR', 'The row\'s `id` must be a string or an integer', { target: { type: 'field', name: 'id' } });
  }
  const rowId = given === undefined ? expectedId : String(given);
  if (rowId === undefined) throw new DomainError('INVALID_FIELD_ERR', 'A row needs an `id` (its primary key)', { target: { type: 'field', name: 'id' } });
  if (expectedId !== undefined && rowId !== expectedId) {
    throw new DomainError('INVALID_FIELD_ERR', 'The row\'s `id` must equal the id in the path (a primary key does not change)', { target: { type: 'field', name: 'id' } });
  }
  checkRowId(rowId);
  const row = { ...(body as JsonRow), id: rowId };
  const json = JSON.stringify(row);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_ROW_BYTES) throw new DomainError('PAYLOAD_TOO_LARGE_ERR', `A row may hold at most ${MAX_ROW_BYTES} bytes of JSON (this one has ${bytes})`);
  return { rowId, row, json };
}

/** `?field=value&limit=n`: rows whose top-level `field` equals `value` (compared as text). */
export function rowFilter(query: Record<string, unknown>): { limit: number; matches: (row: JsonRow) => boolean } {
  let limit = 100;
  const conditions: [string, string][] = [];
  for (const [name, raw] of Object.entries(query)) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value !== 'string') continue;
    if (name === 'limit') {
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < 1 || parsed > 1000) {
        throw new DomainError('INVALID_QUERY_PARAM_ERR', 'limit must be an integer from 1 to 1000', { target: { type: 'query', name: 'limit' } });
      }
      limit = parsed;
    } else {
      conditions.push([name, value]);
    }
  }
  return {
    limit,
    matches: (row) => conditions.every(([field, value]) => row[field] !== undefined && (typeof row[field] === 'object' ? JSON.stringify(row[field]) : String(row[field])) === value),
  };
}

/** The AAD binding a row's ciphertext to its cluster, table and primary key. */
export function rowAad(clusterId: string, table: string, rowId: string): string {
  return JSON.stringify(['row', clusterId, table, rowId]);
}
