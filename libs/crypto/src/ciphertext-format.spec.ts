import { createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { CryptoError } from './crypto-error';
import { CIPHERTEXT_HEADER_BYTES, MAX_WRAP_PLAINTEXT_BYTES, parseCiphertext, unwrapDek, wrapDek } from './ciphertext-format';

const VECTOR = {
  key: Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
  keyId: '00112233-4455-6677-8899-aabbccddeeff',
  version: 2,
  iv: Buffer.from('a0a1a2a3a4a5a6a7a8a9aaab', 'hex'),
  aad: ['tenant-1', 'table-2'],
  dek: Buffer.alloc(32, 0x42),
  ciphertext: 'S1cBABEiM0RVZneImaq7zN3u/wAAAAKgoaKjpKWmp6ipqqukWj5vB4lA/SAnxZFFOIKcMu4bUtD1AC7eTGTEPek3Q7+P9enNQOSelz68ObcgVuA=',
};

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof CryptoError ? error.reason : `unexpected ${String(error)}`;
  }
}

describe('wrapped-DEK ciphertext format', () => {
  it('reproduces the DESIGN.md test vector', () => {
    const { key, keyId, version, iv, aad, dek } = VECTOR;
    expect(wrapDek({ key, keyId, version, plaintext: dek, aad, iv })).toBe(VECTOR.ciphertext);
    expect(unwrapDek(VECTOR.ciphertext, key, aad)).toEqual(dek);
  });

  it('can be decrypted offline from the format description alone', () => {
    // What a customer holding a copy of an imported key does, with nothing but Node's crypto.
    const bytes = Buffer.from(VECTOR.ciphertext, 'base64');
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0x4b, 0x57, 0x01]));
    expect(bytes.subarray(3, 19).toString('hex')).toBe(VECTOR.keyId.replace(/-/g, ''));
    expect(bytes.readUInt32BE(19)).toBe(2);
    const header = bytes.subarray(0, 35);
    const aad = Buffer.concat([
      header,
      ...VECTOR.aad.flatMap((entry) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(Buffer.byteLength(entry));
        return [length, Buffer.from(entry)];
      }),
    ]);
    const decipher = createDecipheriv('aes-256-gcm', VECTOR.key, bytes.subarray(23, 35));
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plaintext = Buffer.concat([decipher.update(bytes.subarray(35, bytes.length - 16)), decipher.final()]);
    expect(plaintext).toEqual(VECTOR.dek);
  });

  it('parses the key id and version without a key', () => {
    expect(parseCiphertext(VECTOR.ciphertext)).toMatchObject({ keyId: VECTOR.keyId, version: 2 });
  });

  it.each([16, 24, 32])('wraps at the key size of the version (%i-byte key)', (size) => {
    const key = randomBytes(size);
    const keyId = randomUUID();
    const ciphertext = wrapDek({ key, keyId, version: 1, plaintext: VECTOR.dek });
    expect(unwrapDek(ciphertext, key)).toEqual(VECTOR.dek);
    expect(reasonOf(() => unwrapDek(ciphertext, randomBytes(size)))).toBe('unauthentic');
  });

  it('refuses truncated, oversized, non-base64 and foreign-format input as malformed', () => {
    const short = Buffer.from(VECTOR.ciphertext, 'base64').subarray(0, CIPHERTEXT_HEADER_BYTES + 10).toString('base64');
    expect(reasonOf(() => parseCiphertext(short))).toBe('malformed');
    expect(reasonOf(() => parseCiphertext('A'.repeat(8000)))).toBe('malformed');
    expect(reasonOf(() => parseCiphertext('not base64!'))).toBe('malformed');
    expect(reasonOf(() => parseCiphertext(''))).toBe('malformed');
    const otherVersion = Buffer.from(VECTOR.ciphertext, 'base64');
    otherVersion[2] = 0x02;
    expect(reasonOf(() => parseCiphertext(otherVersion.toString('base64')))).toBe('malformed');
  });

  it('refuses a wrong AAD, a missing AAD and an unknown version as unauthentic', () => {
    expect(reasonOf(() => unwrapDek(VECTOR.ciphertext, VECTOR.key, ['tenant-1']))).toBe('unauthentic');
    expect(reasonOf(() => unwrapDek(VECTOR.ciphertext, VECTOR.key))).toBe('unauthentic');
    const otherVersion = Buffer.from(VECTOR.ciphertext, 'base64');
    otherVersion.writeUInt32BE(3, 19);
    expect(reasonOf(() => unwrapDek(otherVersion.toString('base64'), VECTOR.key, VECTOR.aad))).toBe('unauthentic');
  });

  it('refuses plaintexts that are empty or too large', () => {
    const base = { key: VECTOR.key, keyId: VECTOR.keyId, version: 1 };
    expect(reasonOf(() => wrapDek({ ...base, plaintext: Buffer.alloc(0) }))).toBe('invalid-input');
    expect(reasonOf(() => wrapDek({ ...base, plaintext: Buffer.alloc(MAX_WRAP_PLAINTEXT_BYTES + 1) }))).toBe('invalid-input');
    expect(reasonOf(() => wrapDek({ ...base, plaintext: Buffer.alloc(MAX_WRAP_PLAINTEXT_BYTES) }))).toBeUndefined();
  });
});

describe('ciphertext format properties', () => {
  const key = randomBytes(32);
  const keyId = randomUUID();
  const aadArb = fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 });
  const plaintextArb = fc.uint8Array({ minLength: 1, maxLength: 200 });

  it('round-trips any plaintext, version and AAD', () => {
    fc.assert(
      fc.property(plaintextArb, fc.integer({ min: 1, max: 0xffffffff }), aadArb, (plaintext, version, aad) => {
        const ciphertext = wrapDek({ key, keyId, version, plaintext, aad });
        expect(parseCiphertext(ciphertext)).toMatchObject({ keyId, version });
        expect(unwrapDek(ciphertext, key, aad)).toEqual(Buffer.from(plaintext));
      }),
    );
  });

  it('rejects every single-bit flip, never with an unexpected error', () => {
    const ciphertext = Buffer.from(wrapDek({ key, keyId, version: 7, plaintext: randomBytes(32), aad: ['x'] }), 'base64');
    // Exhaustive over every bit of this ciphertext (67 bytes = 536 flips), plus random other ciphertexts.
    for (let bit = 0; bit < ciphertext.length * 8; bit += 1) {
      const flipped = Buffer.from(ciphertext);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(['malformed', 'unauthentic']).toContain(reasonOf(() => unwrapDek(flipped.toString('base64'), key, ['x'])));
    }
    fc.assert(
      fc.property(plaintextArb, aadArb, fc.nat(), (plaintext, aad, seed) => {
        const bytes = Buffer.from(wrapDek({ key, keyId, version: 1, plaintext, aad }), 'base64');
        const bit = seed % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        expect(['malformed', 'unauthentic']).toContain(reasonOf(() => unwrapDek(bytes.toString('base64'), key, aad)));
      }),
    );
  });

  it('binds the AAD entry boundaries: ["ab","c"] does not open what ["a","bc"] sealed', () => {
    const ciphertext = wrapDek({ key, keyId, version: 1, plaintext: VECTOR.dek, aad: ['ab', 'c'] });
    expect(reasonOf(() => unwrapDek(ciphertext, key, ['a', 'bc']))).toBe('unauthentic');
    expect(reasonOf(() => unwrapDek(ciphertext, key, ['abc']))).toBe('unauthentic');
    fc.assert(
      fc.property(fc.string({ minLength: 2, maxLength: 30 }), fc.nat(), (text, seed) => {
        const cut = 1 + (seed % (text.length - 1));
        const other = Math.max(1, cut - 1) === cut ? cut + 1 : cut - 1;
        fc.pre(other > 0 && other < text.length && text.slice(0, cut) !== text.slice(0, other));
        const sealed = wrapDek({ key, keyId, version: 1, plaintext: VECTOR.dek, aad: [text.slice(0, cut), text.slice(cut)] });
        expect(reasonOf(() => unwrapDek(sealed, key, [text.slice(0, other), text.slice(other)]))).toBe('unauthentic');
      }),
    );
  });
});
