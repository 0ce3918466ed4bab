import { KeyCache } from './key-cache';

describe('KeyCache', () => {
  const material = (byte: number) => Buffer.alloc(32, byte);

  it('keeps a copy, so the caller may zeroize its own buffer', () => {
    const cache = new KeyCache(10, 1000);
    const mine = material(1);
    cache.set('platform', 'k', 1, mine);
    mine.fill(0);
    expect(cache.get('platform', 'k', 1)).toEqual(material(1));
  });

  it('evicts the least recently used entry past its bound, zeroizing it', () => {
    const cache = new KeyCache(2, 1000);
    cache.set('platform', 'a', 1, material(1));
    const a = cache.get('platform', 'a', 1) as Buffer;
    cache.set('platform', 'b', 1, material(2));
    const b = cache.get('platform', 'b', 1) as Buffer;
    cache.get('platform', 'a', 1); // a is now the most recently used
    cache.set('platform', 'c', 1, material(3));
    expect(cache.size).toBe(2);
    expect(cache.get('platform', 'b', 1)).toBeUndefined();
    expect(b.every((byte) => byte === 0)).toBe(true);
    expect(a).toEqual(material(1));
  });

  it('expires entries by age, zeroizing them', () => {
    let now = 0;
    const cache = new KeyCache(10, 100, () => now);
    cache.set('platform', 'a', 1, material(1));
    const held = cache.get('platform', 'a', 1) as Buffer;
    now = 100;
    expect(cache.get('platform', 'a', 1)).toBeUndefined();
    expect(held.every((byte) => byte === 0)).toBe(true);
  });

  it('forgets a key (state change, destroy) and a domain (seal), zeroizing what it held', () => {
    const cache = new KeyCache(10, 1000);
    cache.set('d1', 'a', 1, material(1));
    cache.set('d1', 'a', 2, material(2));
    cache.set('d1', 'b', 1, material(3));
    cache.set('d2', 'a', 1, material(4));
    const a2 = cache.get('d1', 'a', 2) as Buffer;
    cache.forgetKey('d1', 'a');
    expect(cache.get('d1', 'a', 1)).toBeUndefined();
    expect(a2.every((byte) => byte === 0)).toBe(true);
    expect(cache.get('d1', 'b', 1)).toEqual(material(3));
    cache.forgetDomain('d1');
    expect(cache.get('d1', 'b', 1)).toBeUndefined();
    expect(cache.get('d2', 'a', 1)).toEqual(material(4));
  });
});
