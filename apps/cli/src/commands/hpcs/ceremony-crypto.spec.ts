import { constants, createCipheriv, createPrivateKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { decryptPart, encryptPart } from './ceremony-crypto';

const pair = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

describe('ceremony hybrid encryption (docs/HSM.md)', () => {
  const rsa2048 = pair(2048);

  it("lays out RSA-OAEP-SHA256(AES key) ‖ IV ‖ AES-256-GCM(part) ‖ tag, with the ceremony AAD, readable by the recipient's key alone", () => {
    const part = randomBytes(33);
    const encoded = encryptPart(rsa2048.publicKey, part);
    const data = Buffer.from(encoded, 'base64');
    expect(data).toHaveLength(256 + 12 + 33 + 16);
    // Opened step by step as the HSM does, so the format (not only our round trip) is checked.
    const aesKey = privateDecrypt({ key: rsa2048.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data.subarray(0, 256));
    expect(aesKey).toHaveLength(32);
    expect(decryptPart(createPrivateKey(rsa2048.privateKey), encoded)).toEqual(part);
    expect(() => decryptPart(createPrivateKey(pair(2048).privateKey), encoded)).toThrow();
    expect(encryptPart(rsa2048.publicKey, part)).not.toBe(encoded);
  });

  it('refuses a part sealed with another AAD, or tampered', () => {
    const aesKey = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', aesKey, iv).setAAD(Buffer.from('other'));
    const body = Buffer.concat([cipher.update(Buffer.from('part')), cipher.final()]);
    const wrapped = publicEncrypt({ key: rsa2048.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, aesKey);
    const foreign = Buffer.concat([wrapped, iv, body, cipher.getAuthTag()]).toString('base64');
    expect(() => decryptPart(createPrivateKey(rsa2048.privateKey), foreign)).toThrow();

    const good = Buffer.from(encryptPart(rsa2048.publicKey, Buffer.from('part')), 'base64');
    good[good.length - 20] = (good[good.length - 20] ?? 0) ^ 1;
    expect(() => decryptPart(createPrivateKey(rsa2048.privateKey), good.toString('base64'))).toThrow();
    expect(() => decryptPart(createPrivateKey(rsa2048.privateKey), 'c2hvcnQ=')).toThrow('not a ceremony part');
  });
});
