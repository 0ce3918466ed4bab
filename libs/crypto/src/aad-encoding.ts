import { CryptoError } from './crypto-error';

/** At most this many caller AAD entries, each at most this many UTF-8 bytes (bounds a request's work). */
export const MAX_AAD_ENTRIES = 64;
export const MAX_AAD_ENTRY_BYTES = 1024;

/**
 * Length-prefixed encoding of AAD entries (DESIGN.md "Key hierarchy"): for each entry a 4-byte
 * big-endian length, then its UTF-8 bytes. The prefix makes `["ab","c"]` and `["a","bc"]` differ.
 */
export function encodeAadEntries(entries: readonly string[]): Buffer {
  if (entries.length > MAX_AAD_ENTRIES) {
    throw new CryptoError('invalid-input', `at most ${MAX_AAD_ENTRIES} AAD entries are allowed`);
  }
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const bytes = Buffer.from(entry, 'utf8');
    if (bytes.length > MAX_AAD_ENTRY_BYTES) {
      throw new CryptoError('invalid-input', `an AAD entry has at most ${MAX_AAD_ENTRY_BYTES} bytes`);
    }
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}
