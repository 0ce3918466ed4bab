import { constants, createCipheriv, createDecipheriv, publicEncrypt, randomBytes } from 'node:crypto';

/**
 * What a customer does, with nothing but node:crypto, to import a key securely and to check a wrapped
 * DEK offline (docs/KMS.md "Secure import" and "Checking a wrapped DEK offline"). Tests use these as
 * an independent second implementation of both formats.
 */

/** The body of GET /import_token. */
export interface RetrievedImportToken {
  payload: string;
  nonce: string;
}

// A type, not an interface: tests spread it into request bodies typed Record<string, unknown>.
export type SecureImportBody = {
  payload: string;
  encryptedNonce: string;
  iv: string;
  encryptionAlgorithm: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1';
};

/**
 * Client side of Key Protect's secure import: `payload` = RSA-OAEP(material) under the token's public
 * key (base64 of a PEM), `encryptedNonce` = AES-GCM(key = material, 12-byte iv, the token's nonce) as
 * ciphertext ‖ 16-byte tag, `iv` = that IV.
 */
export function encryptForImport(token: RetrievedImportToken, material: Buffer, options: { algorithm?: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1'; nonce?: Buffer; iv?: Buffer } = {}): SecureImportBody {
  const algorithm = options.algorithm ?? 'RSAES_OAEP_SHA_256';
  const payload = encryptKeyForImport(token, material, algorithm);
  const iv = options.iv ?? randomBytes(12);
  const cipher = createCipheriv(`aes-${material.length * 8}-gcm` as 'aes-256-gcm', material, iv);
  const nonce = options.nonce ?? Buffer.from(token.nonce, 'base64');
  const encryptedNonce = Buffer.concat([cipher.update(nonce), cipher.final(), cipher.getAuthTag()]);
  return { payload, encryptedNonce: encryptedNonce.toString('base64'), iv: iv.toString('base64'), encryptionAlgorithm: algorithm };
}

/** `payload` alone: base64 of RSA-OAEP (SHA-256 or SHA-1, MGF1 with the same hash, no label) under the token's public key. */
export function encryptKeyForImport(token: Pick<RetrievedImportToken, 'payload'>, material: Buffer, algorithm: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1' = 'RSAES_OAEP_SHA_256'): string {
  const publicKey = Buffer.from(token.payload, 'base64').toString('utf8');
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256' }, material).toString('base64');
}

export interface OpenedCiphertext {
  keyId: string;
  version: number;
  dek: Buffer;
}

/**
 * Keyward's wrapped-DEK format (DESIGN.md "Key hierarchy", docs/KMS.md), opened with a copy of the
 * root key version's material: base64 of `"KW"` ‖ 0x01 ‖ key UUID (16) ‖ version (uint32 BE) ‖ IV (12)
 * ‖ AES-GCM ciphertext ‖ tag (16); AAD = the 35 header bytes ‖ for each AAD entry its UTF-8 length
 * (uint32 BE) and bytes. Throws if the tag does not verify.
 */
export function openWrappedDek(ciphertext: string, material: Buffer, aad: string[] = []): OpenedCiphertext {
  const bytes = Buffer.from(ciphertext, 'base64');
  if (bytes.length < 35 + 16 || bytes.toString('latin1', 0, 2) !== 'KW' || bytes[2] !== 0x01) throw new Error('not a Keyward ciphertext (format 1)');
  const header = bytes.subarray(0, 35);
  const hex = header.subarray(3, 19).toString('hex');
  const keyId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const version = header.readUInt32BE(19);
  const iv = header.subarray(23, 35);
  const entries = aad.flatMap((entry) => {
    const utf8 = Buffer.from(entry, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(utf8.length);
    return [length, utf8];
  });
  const decipher = createDecipheriv(`aes-${material.length * 8}-gcm` as 'aes-256-gcm', material, iv);
  decipher.setAAD(Buffer.concat([header, ...entries]));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  const dek = Buffer.concat([decipher.update(bytes.subarray(35, bytes.length - 16)), decipher.final()]);
  return { keyId, version, dek };
}
