import { constants, createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { GCM_IV_BYTES, GCM_TAG_BYTES, aesGcmDecrypt, aesGcmEncrypt, freshIv, zeroize } from './aes-gcm';
import { CryptoError } from './crypto-error';

/**
 * Hybrid encryption of ceremony parts (DESIGN.md "Ceremonies"), base64 of:
 * RSA-OAEP-SHA256(fresh AES-256 key) ‖ 12-byte IV ‖ AES-256-GCM(plaintext) ‖ 16-byte tag.
 * The RSA block is as long as the recipient's modulus. Used both ways: custodians' parts leave the
 * HSM encrypted to each custodian's key, and come back encrypted to the domain's ceremony key.
 */
const HYBRID_AAD = Buffer.from('keyward.ceremony-part.v1');
const MIN_RSA_BITS = 2048;

export function parseRsaPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new CryptoError('invalid-input', 'the public key is not a PEM RSA public key');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    throw new CryptoError('invalid-input', `the public key must be RSA with at least ${MIN_RSA_BITS} bits`);
  }
  return key;
}

export function hybridEncrypt(recipient: KeyObject | string, plaintext: Uint8Array): string {
  const publicKey = typeof recipient === 'string' ? parseRsaPublicKey(recipient) : recipient;
  const contentKey = randomBytes(32);
  const iv = freshIv();
  try {
    const wrappedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey);
    return Buffer.concat([wrappedKey, iv, aesGcmEncrypt(contentKey, iv, plaintext, HYBRID_AAD)]).toString('base64');
  } finally {
    zeroize(contentKey);
  }
}

export function hybridDecrypt(privateKey: KeyObject, ciphertextB64: string): Buffer {
  const modulusBytes = (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  const bytes = Buffer.from(ciphertextB64, 'base64');
  if (bytes.length < modulusBytes + GCM_IV_BYTES + GCM_TAG_BYTES + 1 || bytes.toString('base64') !== ciphertextB64) {
    throw new CryptoError('malformed', 'the encrypted part is not in the hybrid format');
  }
  let contentKey: Buffer;
  try {
    contentKey = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      bytes.subarray(0, modulusBytes),
    );
  } catch {
    throw new CryptoError('unauthentic', 'the encrypted part was not made for this key');
  }
  try {
    if (contentKey.length !== 32) throw new CryptoError('unauthentic', 'the encrypted part was not made for this key');
    const iv = bytes.subarray(modulusBytes, modulusBytes + GCM_IV_BYTES);
    return aesGcmDecrypt(contentKey, iv, bytes.subarray(modulusBytes + GCM_IV_BYTES), HYBRID_AAD);
  } finally {
    zeroize(contentKey);
  }
}

export interface RsaKeyPair {
  publicKeyPem: string;
  privateKey: KeyObject;
}

/** RSA-4096 for ceremony and import key pairs (generation takes about a second on our machines). */
export function generateRsaKeyPair(bits = 4096): RsaKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

/** Same, off the event loop: RSA-4096 generation would otherwise stall every other request. */
export async function generateRsaKeyPairAsync(bits = 4096): Promise<RsaKeyPair> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: bits });
  return { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

/** DER PKCS#8 of a private key, for sealing it under a storage or master key (never stored in clear). */
export function exportPrivateKeyDer(privateKey: KeyObject): Buffer {
  return privateKey.export({ type: 'pkcs8', format: 'der' });
}

export function importPrivateKeyDer(der: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

export type RsaOaepHash = 'sha256' | 'sha1';

/** RSA-OAEP decryption of an import payload (Key Protect import tokens). */
export function rsaOaepDecrypt(privateKey: KeyObject, ciphertext: Uint8Array, hash: RsaOaepHash): Buffer {
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, ciphertext);
  } catch {
    throw new CryptoError('unauthentic', 'the payload was not encrypted to this import key');
  }
}

export function rsaOaepEncrypt(publicKeyPem: string, plaintext: Uint8Array, hash: RsaOaepHash): Buffer {
  return publicEncrypt({ key: createPublicKey(publicKeyPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, plaintext);
}
