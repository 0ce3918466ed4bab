import { DomainError } from '@keyward/contracts';
import { isKeyRingId, keyRingIdField, requestedKeyRing } from './key-ring-rules';

describe('key ring rules', () => {
  it('accepts 2–100 characters from [A-Za-z0-9_-]', () => {
    for (const ok of ['ab', 'team_a-1', 'x'.repeat(100), 'default']) expect(isKeyRingId(ok)).toBe(true);
    for (const bad of ['a', 'x'.repeat(101), 'dot.ted', 'sp ace', '']) expect(isKeyRingId(bad)).toBe(false);
  });

  it('refuses a bad id with 400 INVALID_FIELD_ERR naming the field', () => {
    let error: unknown;
    try {
      keyRingIdField(7, 'keyRingID');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'INVALID_FIELD_ERR', status: 400, target: { name: 'keyRingID' } });
  });

  it('reads X-Kms-Key-Ring, blank meaning none', () => {
    expect(requestedKeyRing(undefined)).toBeUndefined();
    expect(requestedKeyRing('  ')).toBeUndefined();
    expect(requestedKeyRing(' team ')).toBe('team');
    expect(requestedKeyRing(['first', 'second'])).toBe('first');
  });
});
