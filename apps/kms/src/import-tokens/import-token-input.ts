import { DomainError, type ErrorCode } from '@keyward/contracts';
import type { KmsInstance } from '../instances/instance.repository';
import { objectBody } from '../keys/key-input';

/**
 * What clients send for import tokens and secure imports (KEY-PROTECT-API.md §2, §3 "Import-token
 * flow"). Every refusal is a documented 400 that names the field.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const IMPORT_TOKEN_LIMITS = {
  expiration: { min: 300, max: 86_400, fallback: 600 },
  maxAllowedRetrievals: { min: 1, max: 500, fallback: 1 },
} as const;

/** AES-GCM's 96-bit IV, as Key Protect's clients make it (GO import_token.go `encryptNonce`). */
export const NONCE_IV_BYTES = 12;
/** RSA-OAEP under the import key (RSA-4096) is 512 bytes: 684 base64 characters. The HSM schema's bound. */
const MAX_ENCRYPTED_KEY_B64 = 1024;
/** GCM(12-byte nonce) is 28 bytes; leave room, the HSM decides (INCORRECT_NONCE_ERR). HSM schema bound. */
const MAX_ENCRYPTED_NONCE_B64 = 256;

export type ImportAlgorithm = 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1';
const ALGORITHMS: readonly ImportAlgorithm[] = ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'];

export interface ImportTokenPolicy {
  expirationSeconds: number;
  maxAllowedRetrievals: number;
}

/** The material of a secure import as the client sent it: all ciphertext, nothing the KMS can open. */
export interface SecureImportFields {
  encryptedKey: string;
  encryptedNonce: string;
  iv: string;
  encryptionAlgorithm: ImportAlgorithm;
}

const fieldError = (code: ErrorCode, name: string, message: string) => new DomainError(code, message, { target: { type: 'field', name } });

/**
 * `POST /import_token`: `expiration` 300–86,400 s (default 600), `maxAllowedRetrievals` 1–500
 * (default 1). Unknown fields are ignored, so a client that sends `expirationDate` by mistake (the
 * Node SDK's own test) gets the default expiration; no body at all means both defaults.
 */
export function importTokenPolicy(body: unknown): ImportTokenPolicy {
  const input = objectBody(body, { required: false });
  return {
    expirationSeconds: wholeNumber(input, 'expiration', IMPORT_TOKEN_LIMITS.expiration),
    maxAllowedRetrievals: wholeNumber(input, 'maxAllowedRetrievals', IMPORT_TOKEN_LIMITS.maxAllowedRetrievals),
  };
}

function wholeNumber(input: Record<string, unknown>, name: string, limits: { min: number; max: number; fallback: number }): number {
  const value = input[name];
  if (value === undefined || value === null) return limits.fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw fieldError('INVALID_FIELD_ERR', name, `${name} must be a whole number from ${limits.min} to ${limits.max}`);
  }
  return value;
}

const present = (source: Record<string, unknown>, name: string) => source[name] !== undefined && source[name] !== null;

/**
 * The secure-import fields of a create or rotate body, or undefined for a plain import (none of
 * `encryptedNonce`, `iv`, `encryptionAlgorithm` present). A body with some of them is a secure import
 * and must be complete: a half-sent one is refused rather than taken as plain material.
 */
export function secureImportFields(source: Record<string, unknown>, instance: KmsInstance): SecureImportFields | undefined {
  if (!present(source, 'encryptedNonce') && !present(source, 'iv') && !present(source, 'encryptionAlgorithm')) return undefined;
  const encryptedKey = source['payload'];
  if (encryptedKey === undefined || encryptedKey === null) {
    throw fieldError('INVALID_FIELD_ERR', 'payload', 'payload (the key material encrypted with the import token) is required with encryptedNonce and iv');
  }
  if (typeof encryptedKey !== 'string' || encryptedKey.length === 0 || encryptedKey.length > MAX_ENCRYPTED_KEY_B64 || !BASE64.test(encryptedKey)) {
    throw fieldError('INVALID_FIELD_ERR', 'payload', 'payload must be base64 of the RSA-OAEP ciphertext of the key material under the import token');
  }
  const encryptedNonce = source['encryptedNonce'];
  if (typeof encryptedNonce !== 'string' || encryptedNonce.length === 0 || encryptedNonce.length > MAX_ENCRYPTED_NONCE_B64 || !BASE64.test(encryptedNonce)) {
    throw fieldError('INCORRECT_NONCE_IV_ERR', 'encryptedNonce', 'encryptedNonce must be base64 of the AES-GCM ciphertext and tag of the import token nonce');
  }
  const iv = source['iv'];
  if (typeof iv !== 'string' || !BASE64.test(iv) || Buffer.from(iv, 'base64').length !== NONCE_IV_BYTES) {
    throw fieldError('INCORRECT_NONCE_IV_ERR', 'iv', `iv must be base64 of the ${NONCE_IV_BYTES}-byte AES-GCM IV used to encrypt the nonce`);
  }
  const algorithm = source['encryptionAlgorithm'] ?? 'RSAES_OAEP_SHA_256';
  if (typeof algorithm !== 'string' || !ALGORITHMS.includes(algorithm as ImportAlgorithm)) {
    throw fieldError('INVALID_FIELD_ERR', 'encryptionAlgorithm', `encryptionAlgorithm must be one of ${ALGORITHMS.join(', ')}`);
  }
  if (algorithm === 'RSAES_OAEP_SHA_1' && instance.service !== 'hs-crypto') {
    throw fieldError('INVALID_FIELD_ERR', 'encryptionAlgorithm', 'RSAES_OAEP_SHA_1 is accepted only for Hyper Protect Crypto Services (hs-crypto) instances');
  }
  return { encryptedKey, encryptedNonce, iv, encryptionAlgorithm: algorithm as ImportAlgorithm };
}
