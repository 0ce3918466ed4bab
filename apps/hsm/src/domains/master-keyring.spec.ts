import { SoftwareBackend } from '../backends/software-backend';
import { MasterKeyring } from './master-keyring';

describe('MasterKeyring', () => {
  const backend = new SoftwareBackend();
  const binding = { domainId: 'platform', keyId: 'k', version: 1, generation: 1 };

  it('is active while it holds a master key; sealing destroys keys and zeroizes parts', () => {
    const keyring = new MasterKeyring();
    const part = Buffer.alloc(33, 5);
    keyring.addPart('platform', 'unseal', 0, part);
    expect(keyring.submitted('platform', 'unseal')).toBe(1);
    const key = backend.load(Buffer.alloc(32, 9));
    keyring.add('platform', 1, key);
    expect(keyring.isActive('platform')).toBe(true);
    const blob = key.seal(binding, Buffer.from('material'));
    keyring.seal('platform');
    expect(keyring.isActive('platform')).toBe(false);
    expect(part.every((byte) => byte === 0)).toBe(true);
    // The zeroized key no longer opens what it sealed.
    expect(() => key.open(binding, blob)).toThrow();
  });

  it('counts a repeated part once and keeps unseal and rotation parts apart', () => {
    const keyring = new MasterKeyring();
    keyring.addPart('d', 'unseal', 2, Buffer.alloc(33, 1));
    expect(keyring.addPart('d', 'unseal', 2, Buffer.alloc(33, 1))).toBe(1);
    expect(keyring.addPart('d', 'rotate', 0, Buffer.alloc(33, 2))).toBe(1);
    expect(keyring.submitted('d', 'unseal')).toBe(0);
  });

  it('holds two generations during a rotation and seals new objects under the newest', () => {
    const keyring = new MasterKeyring();
    keyring.add('d', 1, backend.load(Buffer.alloc(32, 1)));
    keyring.add('d', 2, backend.load(Buffer.alloc(32, 2)));
    expect(keyring.newestGeneration('d')).toBe(2);
    keyring.retireBelow('d', 2);
    expect(keyring.key('d', 1)).toBeUndefined();
    expect(keyring.isActive('d')).toBe(true);
  });
});
