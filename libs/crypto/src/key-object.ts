import { randomBytes } from 'node:crypto';
import { encodeAadEntries } from './aad-encoding';
import { GCM_IV_BYTES, aesGcmDecrypt, aesGcmEncrypt, freshIv } from './aes-gcm';
import { CryptoError } from './crypto-error';

/**
 * A key object: one key version's material encrypted under its domain's master key (AES-256-GCM), with
 * AAD binding the domain, the key id, the version and the master-key generation, so a blob moved to
 * another key, version or domain — or left from a retired master key — never decrypts.
 * Stored as IV ‖ ciphertext ‖ tag.
 */
export interface KeyObjectBinding {
  domainId: string;
  keyId: string;
  version: number;
  /** Which master key of the domain sealed it (master-key rotation bumps it). */
  generation: number;
}

const KEY_OBJECT_LABEL = 'keyward.key-object.v1';

export function keyObjectAad(binding: KeyObjectBinding): Buffer {
  return encodeAadEntries([KEY_OBJECT_LABEL, binding.domainId, binding.keyId, String(binding.version), String(binding.generation)]);
}

export function sealKeyObject(masterKey: Uint8Array, binding: KeyObjectBinding, material: Uint8Array): Buffer {
  if (masterKey.length !== 32) throw new CryptoError('invalid-input', 'a master key has 32 bytes');
  const iv = freshIv();
  return Buffer.concat([iv, aesGcmEncrypt(masterKey, iv, material, keyObjectAad(binding))]);
}

export function openKeyObject(masterKey: Uint8Array, binding: KeyObjectBinding, blob: Uint8Array): Buffer {
  if (blob.length <= GCM_IV_BYTES) throw new CryptoError('malformed', 'the key object is truncated');
  return aesGcmDecrypt(masterKey, blob.subarray(0, GCM_IV_BYTES), blob.subarray(GCM_IV_BYTES), keyObjectAad(binding));
}

/** Fresh AES key material of 16, 24 or 32 bytes. */
export function generateAesKey(bytes: 16 | 24 | 32): Buffer {
  return randomBytes(bytes);
}
