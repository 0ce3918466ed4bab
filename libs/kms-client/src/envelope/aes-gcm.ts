import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError } from '@keyward/contracts';

/**
 * The consumer's data format under a DEK (AES-256-GCM), base64 of:
 * `0x01` (format version) ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 * The GCM AAD is the version byte followed by the caller's AAD (UTF-8), so a ciphertext moved to
 * another row, tenant or field (another AAD) does not decrypt.
 */
const FORMAT_VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DEK_BYTES = 32;

export function sealWithDek(dek: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dek, iv);
  cipher.setAAD(gcmAad(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_VERSION), iv, body, cipher.getAuthTag()]).toString('base64');
}

export function openWithDek(dek: Buffer, sealed: string, aad: string): Buffer {
  const bytes = Buffer.from(sealed, 'base64');
  if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== FORMAT_VERSION) throw undecryptable();
  const iv = bytes.subarray(1, 1 + IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', dek, iv);
  decipher.setAAD(gcmAad(aad));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    // Node's own message says nothing about the key; ours says nothing at all beyond the code.
    throw undecryptable();
  }
}

function gcmAad(aad: string): Buffer {
  return Buffer.concat([Buffer.of(FORMAT_VERSION), Buffer.from(aad, 'utf8')]);
}

function undecryptable(): DomainError {
  return new DomainError('UNPROCESSABLE_CIPHERTEXT_ERR', 'The data could not be decrypted: it is corrupted or belongs to another context (AAD)');
}
