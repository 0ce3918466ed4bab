import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError } from '@keyward/contracts';

/**
 * AES-256-GCM under a workspace DEK. Format: base64 of 0x01 ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag;
 * the GCM AAD is the workspace CRN, so a value copied into another workspace does not decrypt.
 */
const FORMAT = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DEK_BYTES = 32;

export function newDek(): Buffer {
  return randomBytes(DEK_BYTES);
}

export function seal(dek: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dek, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT]), iv, body, cipher.getAuthTag()]).toString('base64');
}

export function open(dek: Buffer, sealed: string, aad: string): string {
  const bytes = Buffer.from(sealed, 'base64');
  if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== FORMAT) throw unprocessable();
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, bytes.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (error) {
    throw unprocessable(error);
  }
}

function unprocessable(cause?: unknown): DomainError {
  return new DomainError('INTERNAL_ERR', 'A stored workspace value could not be decrypted', cause === undefined ? {} : { cause });
}
