import { usageError } from '../../cli-error';
import { listArgument, valueOrFile } from '../command-kit';
import { KP_TYPES, kpEnvelope } from './kp-client';

/** Key states by number (KEY-PROTECT-API.md §4) and the names `--key-states` accepts. */
export const KEY_STATES: Record<number, string> = { 0: 'Pre-activation', 1: 'Active', 2: 'Suspended', 3: 'Deactivated', 5: 'Destroyed' };
const STATE_BY_NAME: Record<string, number> = { 'pre-activation': 0, preactivation: 0, active: 1, suspended: 2, deactivated: 3, destroyed: 5 };

export function stateName(state: number | undefined): string {
  return state === undefined ? '' : (KEY_STATES[state] ?? String(state));
}

/** `active,suspended` or `1,2` → `1,2` (the query Key Protect takes), else exit 2. */
export function keyStatesQuery(value: string): string {
  const states = listArgument(value).map((part) => {
    const state = /^\d$/.test(part) ? Number(part) : STATE_BY_NAME[part.toLowerCase()];
    if (state === undefined || KEY_STATES[state] === undefined) throw usageError(`Unknown key state "${part}"`, 'Use active, suspended, deactivated, destroyed or pre-activation (or 0-3, 5), comma-separated');
    return state;
  });
  if (states.length === 0) throw usageError('--key-states needs at least one state');
  return [...new Set(states)].join(',');
}

/** A non-negative integer option (`--number-of-keys 10`), else exit 2 naming the flag. */
export function integerOption(value: string, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw usageError(`${flag} must be a whole number from ${min} to ${max}`);
  return Number(value);
}

/** Base64 given as a value or `@file` (key material, DEKs, ciphertexts), checked before anything is sent. */
export function base64Argument(value: string, what: string, flag: string): string {
  const text = valueOrFile(value, what).replace(/\s+/g, '');
  if (text.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    // Never echo the value: it may be key material.
    throw usageError(`${flag} must be base64 (${what})`, `Give the base64 text, or @<file> holding it`);
  }
  return text;
}

/** Key material must be 128, 192 or 256 bits (KEY-PROTECT-API.md §3) for a root key. */
export function rootKeyMaterial(base64: string, flag: string): Buffer {
  const bytes = Buffer.from(base64, 'base64');
  if (![16, 24, 32].includes(bytes.length)) throw usageError(`${flag} must be 128, 192 or 256 bits of key material (16, 24 or 32 bytes), base64`);
  return bytes;
}

/** `--aad a,b` → `['a','b']` (Key Protect's comma-separated AAD strings), or undefined. */
export function aadOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const entries = value.split(',');
  if (entries.some((entry) => entry.length > 255)) throw usageError('Each --aad entry is at most 255 characters');
  return entries;
}

export interface CreateKeyInput {
  name: string;
  standard: boolean;
  description?: string;
  /** Plain import: base64 material. */
  payload?: string;
  /** Secure import (through an import token). */
  secureImport?: { payload: string; encryptedNonce: string; iv: string; encryptionAlgorithm: string };
  aliases?: string[];
  expirationDate?: string;
}

/** The `POST /keys` body (KEY-PROTECT-API.md §3): `extractable` false for root keys. */
export function createKeyBody(input: CreateKeyInput): unknown {
  const resource: Record<string, unknown> = { type: KP_TYPES.key, name: input.name, extractable: input.standard };
  if (input.description !== undefined) resource['description'] = input.description;
  if (input.aliases && input.aliases.length > 0) resource['aliases'] = input.aliases;
  if (input.expirationDate !== undefined) resource['expirationDate'] = input.expirationDate;
  if (input.payload !== undefined) resource['payload'] = input.payload;
  if (input.secureImport) Object.assign(resource, input.secureImport);
  return kpEnvelope(KP_TYPES.key, [resource]);
}

/** `--expiration-date` as RFC 3339 (`2030-01-01T00:00:00Z`), else exit 2. */
export function expirationDateOption(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw usageError('--expiration-date must be a date, e.g. 2030-01-01T00:00:00Z');
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
