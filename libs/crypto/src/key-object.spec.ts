import { randomBytes, randomUUID } from 'node:crypto';
import { CryptoError } from './crypto-error';
import { openKeyObject, sealKeyObject } from './key-object';

describe('key objects sealed under a master key', () => {
  const masterKey = randomBytes(32);
  const binding = { domainId: 'platform', keyId: randomUUID(), version: 1, generation: 1 };
  const material = randomBytes(32);

  it('round-trips and never contains the material in clear', () => {
    const blob = sealKeyObject(masterKey, binding, material);
    expect(blob.includes(material)).toBe(false);
    expect(openKeyObject(masterKey, binding, blob)).toEqual(material);
  });

  it.each([
    ['domain', { domainId: '00000000-0000-4000-8000-000000000000' }],
    ['key id', { keyId: randomUUID() }],
    ['version', { version: 2 }],
    ['master-key generation', { generation: 2 }],
  ])('refuses a blob presented under another %s', (_what, change) => {
    const blob = sealKeyObject(masterKey, binding, material);
    expect(() => openKeyObject(masterKey, { ...binding, ...change }, blob)).toThrow(CryptoError);
  });

  it('refuses another master key and a truncated blob', () => {
    const blob = sealKeyObject(masterKey, binding, material);
    expect(() => openKeyObject(randomBytes(32), binding, blob)).toThrow(CryptoError);
    expect(() => openKeyObject(masterKey, binding, blob.subarray(0, 10))).toThrow(CryptoError);
  });
});
