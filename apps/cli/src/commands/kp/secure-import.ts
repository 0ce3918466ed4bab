import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { CliError, EXIT, usageError } from '../../cli-error';
import type { KpClient } from './kp-client';

/** What `GET /import_token` answers (KEY-PROTECT-API.md §2): `payload` is base64 of a PEM public key, `nonce` base64 of 12 bytes. */
export interface ImportTokenView {
  creationDate?: string;
  expirationDate?: string;
  maxAllowedRetrievals?: number;
  remainingRetrievals?: number;
  payload?: string;
  nonce?: string;
}

export interface SecureImportFields {
  payload: string;
  encryptedNonce: string;
  iv: string;
  encryptionAlgorithm: 'RSAES_OAEP_SHA_256';
}

/**
 * Key Protect's secure import, done on the client (KEY-PROTECT-API.md §3 "Import-token flow"): the
 * material under the token's RSA public key (RSA-OAEP-SHA256), and the token's nonce encrypted with
 * AES-GCM under the material itself (ciphertext ‖ tag, 12-byte random IV), which proves to the HSM
 * that whoever sent the payload held the material and this token.
 */
export function secureImportFields(material: Buffer, token: { payload: string; nonce: string }): SecureImportFields {
  if (![16, 24, 32].includes(material.length)) throw usageError('Key material imported through an import token must be 128, 192 or 256 bits (16, 24 or 32 bytes)');
  const publicKey = createPublicKey(Buffer.from(token.payload, 'base64').toString('utf8'));
  const nonce = Buffer.from(token.nonce, 'base64');
  const iv = randomBytes(12);
  const cipher = createCipheriv(`aes-${material.length * 8}-gcm` as 'aes-256-gcm', material, iv);
  const encryptedNonce = Buffer.concat([cipher.update(nonce), cipher.final(), cipher.getAuthTag()]);
  const payload = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material);
  return { payload: payload.toString('base64'), encryptedNonce: encryptedNonce.toString('base64'), iv: iv.toString('base64'), encryptionAlgorithm: 'RSAES_OAEP_SHA_256' };
}

/** Retrieves the instance's import token (one of its retrievals) and encrypts `material` for it. */
export async function secureImport(client: KpClient, material: Buffer, instanceArg: string): Promise<SecureImportFields> {
  const token = (await client.call<ImportTokenView>({ method: 'GET', path: '/import_token' }, { notFoundHint: `Create an import token first: \`keyward kp import-token create -i ${instanceArg}\`` })).body;
  if (!token?.payload || !token.nonce) throw new CliError(EXIT.unavailable, 'kms: the import token has no public key or nonce', 'Create a new one with `keyward kp import-token create`');
  try {
    return secureImportFields(material, { payload: token.payload, nonce: token.nonce });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(EXIT.unavailable, "kms: the import token's public key cannot be read", 'Create a new one with `keyward kp import-token create`');
  }
}
