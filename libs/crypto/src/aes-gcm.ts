import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from './crypto-error';

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
/** Root keys and master keys: AES-128, AES-192 or AES-256. */
export const AES_KEY_BYTES = [16, 24, 32] as const;

function algorithmFor(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new CryptoError('invalid-input', `an AES key has 16, 24 or 32 bytes, not ${key.length}`);
  }
}

/** AES-GCM at the key's own size; returns ciphertext ‖ 16-byte tag. */
export function aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  if (iv.length !== GCM_IV_BYTES) throw new CryptoError('invalid-input', `an IV has ${GCM_IV_BYTES} bytes`);
  const cipher = createCipheriv(algorithmFor(key), key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Inverse of aesGcmEncrypt; any authentication failure is a CryptoError('unauthentic'). */
export function aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (iv.length !== GCM_IV_BYTES) throw new CryptoError('invalid-input', `an IV has ${GCM_IV_BYTES} bytes`);
  if (sealed.length < GCM_TAG_BYTES) throw new CryptoError('malformed', 'the ciphertext is shorter than its tag');
  const decipher = createDecipheriv(algorithmFor(key), key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]);
  } catch {
    throw new CryptoError('unauthentic', 'the ciphertext did not authenticate');
  }
}

export function freshIv(): Buffer {
  return randomBytes(GCM_IV_BYTES);
}

/** Overwrites key material we no longer need (best effort: V8 may have copied it). */
export function zeroize(...buffers: (Uint8Array | undefined)[]): void {
  for (const buffer of buffers) buffer?.fill(0);
}
