import { constants, createCipheriv, createDecipheriv, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { callJson } from '@keyward/testing';

const PART_AAD = Buffer.from('keyward.ceremony-part.v1');

/**
 * Makes an `hs-crypto` instance's domain active with a one-custodian key ceremony through the KMS's
 * `/crypto_v1` (DESIGN.md "Ceremonies"), as the custodian's client does: the part comes back
 * encrypted to the custodian's key and is sent to `unseal` encrypted to the ceremony key. Until then
 * the instance's keys cannot be created or used (DOMAIN_SEALED_ERR).
 */
export async function activateHpcsDomain(kmsUrl: string, token: string, hpcsGuid: string): Promise<void> {
  const custodian = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const unit = (path: string, body: unknown) => callJson(kmsUrl, token, 'POST', `/crypto_v1/instances/${hpcsGuid}${path}`, body);
  const init = await unit('/ceremony/init', { threshold: 1, custodians: [{ name: 'solo', publicKey: custodian.publicKey }] });
  if (init.status !== 200) throw new Error(`ceremony init failed: ${init.status} ${init.text}`);
  const data = Buffer.from(init.body.parts[0].encryptedPart as string, 'base64');
  const aesKey = privateDecrypt({ key: custodian.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data.subarray(0, 256));
  const decipher = createDecipheriv('aes-256-gcm', aesKey, data.subarray(256, 268)).setAAD(PART_AAD).setAuthTag(data.subarray(data.length - 16));
  const part = Buffer.concat([decipher.update(data.subarray(268, data.length - 16)), decipher.final()]);
  const partKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', partKey, iv).setAAD(PART_AAD);
  const body = Buffer.concat([cipher.update(part), cipher.final()]);
  const wrapped = publicEncrypt({ key: init.body.ceremonyPublicKey as string, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, partKey);
  const unsealed = await unit('/unseal', { encryptedPart: Buffer.concat([wrapped, iv, body, cipher.getAuthTag()]).toString('base64') });
  if (unsealed.status !== 200 || unsealed.body.replicas?.[0]?.state !== 'active') throw new Error(`unseal failed: ${unsealed.status} ${unsealed.text}`);
}
