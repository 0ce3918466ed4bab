import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { CryptoError } from './crypto-error';
import { generateRsaKeyPair, hybridDecrypt, hybridEncrypt } from './hybrid-encryption';
import { combineParts, findPart, runCeremony } from './master-key-ceremony';

describe('master-key ceremony (Shamir M of N)', () => {
  it('any M of N parts rebuild the master key; fewer are refused', async () => {
    const ceremony = await runCeremony('platform', 5, 3);
    expect(ceremony.parts).toHaveLength(5);
    for (const pick of [[0, 1, 2], [4, 2, 0], [1, 3, 4]]) {
      const parts = pick.map((i) => ceremony.parts[i]!);
      await expect(combineParts(parts, 3, ceremony.masterCheck)).resolves.toEqual(ceremony.masterKey);
    }
    await expect(combineParts(ceremony.parts.slice(0, 2), 3, ceremony.masterCheck)).rejects.toThrow(CryptoError);
  });

  it('rebuilds for every threshold and size up to 6 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }))),
        async ([n, m, order]) => {
          const ceremony = await runCeremony('platform', n, m);
          const parts = order.slice(0, m).map((i) => ceremony.parts[i]!);
          expect(await combineParts(parts, m, ceremony.masterCheck)).toEqual(ceremony.masterKey);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('detects a wrong part by its verification value, and a wrong combination by the master check', async () => {
    const ceremony = await runCeremony('platform', 3, 2);
    expect(findPart('platform', ceremony.parts[1]!, ceremony.partChecks)).toBe(1);
    const tampered = Buffer.from(ceremony.parts[1]!);
    tampered[0]! ^= 1;
    expect(findPart('platform', tampered, ceremony.partChecks)).toBe(-1);
    // A part is bound to its domain.
    expect(findPart('other', ceremony.parts[1]!, ceremony.partChecks)).toBe(-1);
    const other = await runCeremony('platform', 3, 2);
    await expect(combineParts([ceremony.parts[0]!, other.parts[1]!], 2, ceremony.masterCheck)).rejects.toThrow(CryptoError);
  });

  it('refuses impossible thresholds', async () => {
    await expect(runCeremony('platform', 3, 4)).rejects.toThrow(CryptoError);
    await expect(runCeremony('platform', 0, 0)).rejects.toThrow(CryptoError);
    await expect(runCeremony('platform', 17, 2)).rejects.toThrow(CryptoError);
  });
});

describe('hybrid encryption of parts', () => {
  const recipient = generateRsaKeyPair(2048);

  it('round-trips and refuses another recipient or a tampered message', () => {
    const part = randomBytes(33);
    const sealed = hybridEncrypt(recipient.publicKeyPem, part);
    expect(hybridDecrypt(recipient.privateKey, sealed)).toEqual(part);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => hybridDecrypt(stranger, sealed)).toThrow(CryptoError);
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    expect(() => hybridDecrypt(recipient.privateKey, bytes.toString('base64'))).toThrow(CryptoError);
    expect(() => hybridDecrypt(recipient.privateKey, 'short')).toThrow(CryptoError);
  });

  it('refuses a public key that is not RSA of at least 2048 bits', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => hybridEncrypt(ec, randomBytes(33))).toThrow(CryptoError);
    expect(() => hybridEncrypt('not a key', randomBytes(33))).toThrow(CryptoError);
  });
});
