import { encodeAadEntries } from './aad-encoding';
import { GCM_IV_BYTES, GCM_TAG_BYTES, aesGcmDecrypt, aesGcmEncrypt, freshIv } from './aes-gcm';
import { CryptoError } from './crypto-error';

/**
 * The wrapped-DEK format (DESIGN.md "Key hierarchy"), base64 of:
 * "KW" (0x4B 0x57) ‖ format version 0x01 ‖ 16-byte key UUID ‖ 4-byte big-endian key version ‖
 * 12-byte IV ‖ AES-GCM ciphertext ‖ 16-byte tag.
 * AAD = the 35 header bytes ‖ for each caller AAD entry: 4-byte big-endian length ‖ UTF-8 bytes.
 * Everything a holder of the key needs to decrypt offline is in the ciphertext itself.
 */
export const CIPHERTEXT_MAGIC = Buffer.from([0x4b, 0x57]);
export const CIPHERTEXT_FORMAT_VERSION = 0x01;
export const CIPHERTEXT_HEADER_BYTES = 2 + 1 + 16 + 4 + GCM_IV_BYTES; // 35
/** Largest plaintext the HSM wraps: Key Protect's limit, 7,168 bytes before base64. */
export const MAX_WRAP_PLAINTEXT_BYTES = 7168;
export const MAX_CIPHERTEXT_BYTES = CIPHERTEXT_HEADER_BYTES + MAX_WRAP_PLAINTEXT_BYTES + GCM_TAG_BYTES;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface CiphertextHeader {
  keyId: string;
  version: number;
  iv: Buffer;
}

export interface ParsedCiphertext extends CiphertextHeader {
  header: Buffer;
  sealed: Buffer;
}

export function uuidToBytes(uuid: string): Buffer {
  if (!UUID_PATTERN.test(uuid)) throw new CryptoError('invalid-input', 'the key id is not a UUID');
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

export function bytesToUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function encodeHeader({ keyId, version, iv }: CiphertextHeader): Buffer {
  if (!Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw new CryptoError('invalid-input', 'the key version is not a positive 32-bit integer');
  }
  if (iv.length !== GCM_IV_BYTES) throw new CryptoError('invalid-input', `an IV has ${GCM_IV_BYTES} bytes`);
  const versionBytes = Buffer.alloc(4);
  versionBytes.writeUInt32BE(version);
  return Buffer.concat([CIPHERTEXT_MAGIC, Buffer.from([CIPHERTEXT_FORMAT_VERSION]), uuidToBytes(keyId), versionBytes, iv]);
}

/** The bytes authenticated with the DEK: header ‖ length-prefixed caller AAD. */
export function ciphertextAad(header: Buffer, aadEntries: readonly string[]): Buffer {
  return Buffer.concat([header, encodeAadEntries(aadEntries)]);
}

/** Parses without a key: which key and version a ciphertext needs. Refuses anything not in the format. */
export function parseCiphertext(ciphertextB64: string): ParsedCiphertext {
  if (typeof ciphertextB64 !== 'string' || !BASE64_PATTERN.test(ciphertextB64)) {
    throw new CryptoError('malformed', 'the ciphertext is not base64');
  }
  if (ciphertextB64.length > Math.ceil(MAX_CIPHERTEXT_BYTES / 3) * 4) {
    throw new CryptoError('malformed', 'the ciphertext is too long');
  }
  const bytes = Buffer.from(ciphertextB64, 'base64');
  if (bytes.length < CIPHERTEXT_HEADER_BYTES + GCM_TAG_BYTES + 1) {
    throw new CryptoError('malformed', 'the ciphertext is too short');
  }
  if (!bytes.subarray(0, 2).equals(CIPHERTEXT_MAGIC) || bytes[2] !== CIPHERTEXT_FORMAT_VERSION) {
    throw new CryptoError('malformed', 'the ciphertext is not in a known format');
  }
  const version = bytes.readUInt32BE(19);
  if (version < 1) throw new CryptoError('malformed', 'the ciphertext names key version 0');
  return {
    keyId: bytesToUuid(bytes.subarray(3, 19)),
    version,
    iv: Buffer.from(bytes.subarray(23, 35)),
    header: Buffer.from(bytes.subarray(0, CIPHERTEXT_HEADER_BYTES)),
    sealed: Buffer.from(bytes.subarray(CIPHERTEXT_HEADER_BYTES)),
  };
}

export interface WrapInput {
  /** The root key version's material (16, 24 or 32 bytes). */
  key: Uint8Array;
  keyId: string;
  version: number;
  plaintext: Uint8Array;
  aad?: readonly string[];
  /** Tests pin the IV to reproduce the DESIGN.md vector; production always draws a fresh one. */
  iv?: Buffer;
}

export function wrapDek({ key, keyId, version, plaintext, aad = [], iv = freshIv() }: WrapInput): string {
  if (plaintext.length < 1 || plaintext.length > MAX_WRAP_PLAINTEXT_BYTES) {
    throw new CryptoError('invalid-input', `the plaintext has 1 to ${MAX_WRAP_PLAINTEXT_BYTES} bytes`);
  }
  const header = encodeHeader({ keyId, version, iv });
  const sealed = aesGcmEncrypt(key, iv, plaintext, ciphertextAad(header, aad));
  return Buffer.concat([header, sealed]).toString('base64');
}

/** Decrypts a parsed ciphertext with the key version it names (the caller looked that key up). */
export function unwrapParsed(parsed: ParsedCiphertext, key: Uint8Array, aad: readonly string[] = []): Buffer {
  return aesGcmDecrypt(key, parsed.iv, parsed.sealed, ciphertextAad(parsed.header, aad));
}

export function unwrapDek(ciphertextB64: string, key: Uint8Array, aad: readonly string[] = []): Buffer {
  return unwrapParsed(parseCiphertext(ciphertextB64), key, aad);
}
