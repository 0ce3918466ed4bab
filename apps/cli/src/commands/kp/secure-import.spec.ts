import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { CliError } from '../../cli-error';
import { secureImportFields } from './secure-import';

/** What the HSM does with a secure import (KEY-PROTECT-API.md §3), with Node's crypto only. */
function openImport(privateKeyPem: string, fields: { payload: string; encryptedNonce: string; iv: string }): { material: Buffer; nonce: Buffer } {
  const material = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(fields.payload, 'base64'));
  const sealed = Buffer.from(fields.encryptedNonce, 'base64');
  const decipher = createDecipheriv(`aes-${material.length * 8}-gcm` as 'aes-256-gcm', material, Buffer.from(fields.iv, 'base64')).setAuthTag(sealed.subarray(sealed.length - 16));
  const nonce = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  return { material, nonce };
}

describe('secure import on the client (import token)', () => {
  const tokenKeys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const token = { payload: Buffer.from(tokenKeys.publicKey).toString('base64'), nonce: randomBytes(12).toString('base64') };

  it.each([16, 24, 32])('encrypts %i-byte material under the token key and the nonce under the material (AES-GCM, 12-byte IV, ciphertext ‖ tag)', (bytes) => {
    const material = randomBytes(bytes);
    const fields = secureImportFields(material, token);
    expect(fields.encryptionAlgorithm).toBe('RSAES_OAEP_SHA_256');
    expect(Buffer.from(fields.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(fields.encryptedNonce, 'base64')).toHaveLength(12 + 16);
    const opened = openImport(tokenKeys.privateKey, fields);
    expect(opened.material).toEqual(material);
    expect(opened.nonce.toString('base64')).toBe(token.nonce);
    expect(JSON.stringify(fields)).not.toContain(material.toString('base64'));
  });

  it('uses a fresh IV each time, and refuses material that is not an AES key size', () => {
    const material = randomBytes(32);
    expect(secureImportFields(material, token).iv).not.toBe(secureImportFields(material, token).iv);
    expect(() => secureImportFields(randomBytes(20), token)).toThrow(CliError);
  });

  it('a nonce encrypted under other material does not open', () => {
    const fields = secureImportFields(randomBytes(32), token);
    const other = secureImportFields(randomBytes(32), token);
    expect(() => openImport(tokenKeys.privateKey, { ...fields, encryptedNonce: other.encryptedNonce, iv: other.iv })).toThrow();
  });
});
