import type { KeyObjectBinding } from '@keyward/crypto';

/**
 * A domain's usable master key on this replica. Key objects are sealed and opened only through it:
 * in process memory (software backend) or inside a PKCS#11 token (pkcs11 backend). Both produce the
 * same blob format (IV ‖ AES-256-GCM ciphertext ‖ tag, AAD = keyObjectAad(binding)), so a key store is
 * readable by either backend that holds the same master key.
 */
export interface MasterKey {
  seal(binding: KeyObjectBinding, material: Uint8Array): Buffer;
  /** Throws CryptoError('unauthentic' | 'malformed') when the blob does not open. */
  open(binding: KeyObjectBinding, blob: Uint8Array): Buffer;
  /** Zeroizes (software) or destroys the session object (pkcs11). */
  destroy(): void;
}

export interface PersistentPlatformKey {
  key: MasterKey;
  /** A key check value to record for the platform domain (never the key). */
  check: string;
}

export interface MasterKeyBackend {
  readonly kind: 'software' | 'pkcs11';
  /** Makes rebuilt master-key material usable; takes ownership of `material` and zeroizes it. */
  load(material: Buffer): MasterKey;
  /** pkcs11: the platform master key kept in the token (generated there on first start). */
  platformKey?(): PersistentPlatformKey;
  close(): void;
}
