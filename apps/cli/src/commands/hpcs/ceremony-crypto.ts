import { type KeyObject, constants, createCipheriv, createDecipheriv, createPublicKey, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';

/** GCM AAD of every ceremony part (docs/HSM.md "Ceremonies"). */
const PART_AAD = Buffer.from('keyward.ceremony-part.v1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

const oaep = (key: KeyObject | string) => ({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' });

/**
 * A key part encrypted to an RSA public key in the ceremonies' hybrid format (shared/docs/DESIGN.md
 * "Key hierarchy", docs/HSM.md), base64 of: RSA-OAEP-SHA256(fresh AES-256 key) ‖ 12-byte IV ‖
 * AES-256-GCM(part) ‖ 16-byte tag. Done here, on the user's machine, so the KMS only relays ciphertext.
 */
export function encryptPart(publicKeyPem: string, part: Buffer): string {
  const publicKey = createPublicKey(publicKeyPem);
  const aesKey = randomBytes(32);
  const iv = randomBytes(IV_BYTES);
  try {
    const cipher = createCipheriv('aes-256-gcm', aesKey, iv).setAAD(PART_AAD);
    const body = Buffer.concat([cipher.update(part), cipher.final()]);
    const wrappedKey = publicEncrypt(oaep(publicKey), aesKey);
    return Buffer.concat([wrappedKey, iv, body, cipher.getAuthTag()]).toString('base64');
  } finally {
    aesKey.fill(0);
  }
}

/** The custodian's side: a part `ceremony-init` encrypted to the custodian's key, opened with its private key. */
export function decryptPart(privateKey: KeyObject, encoded: string): Buffer {
  const data = Buffer.from(encoded, 'base64');
  const rsaBytes = (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  if (rsaBytes === 0 || data.length < rsaBytes + IV_BYTES + TAG_BYTES) throw new Error('not a ceremony part for this key');
  const aesKey = privateDecrypt(oaep(privateKey), data.subarray(0, rsaBytes));
  try {
    const iv = data.subarray(rsaBytes, rsaBytes + IV_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', aesKey, iv).setAAD(PART_AAD).setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(rsaBytes + IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } finally {
    aesKey.fill(0);
  }
}
