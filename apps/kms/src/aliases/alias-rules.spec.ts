import { DomainError } from '@keyward/contracts';
import { RESERVED_ALIASES, aliasField, aliasesField, isAliasSyntax } from './alias-rules';

const codeOf = (work: () => unknown): string | undefined => {
  try {
    work();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
};

describe('alias rules', () => {
  it('accepts 2–90 characters from [A-Za-z0-9_-]', () => {
    for (const ok of ['ab', 'A_b-9', 'x'.repeat(90), 'keyring', 'wraps']) expect(aliasField(ok)).toBe(ok);
  });

  it('refuses other names, UUIDs of any version and reserved names in any case', () => {
    const bad = ['a', 'x'.repeat(91), 'dot.ted', 'sp ace', '', 'é-accent', '3F1E2D4C-5B6A-4978-8A9B-0C1D2E3F4A5B', '3f1e2d4c-5b6a-1978-0a9b-0c1d2e3f4a5b', 'Keys', 'ROTATE', 5, null];
    for (const value of bad) expect({ value, code: codeOf(() => aliasField(value)) }).toEqual({ value, code: 'INVALID_FIELD_ERR' });
    for (const reserved of RESERVED_ALIASES) expect(codeOf(() => aliasField(reserved))).toBe('INVALID_FIELD_ERR');
    expect(RESERVED_ALIASES.size).toBe(16);
  });

  it('tells alias-shaped references from UUIDs (lookups skip impossible names)', () => {
    expect(isAliasSyntax('my-alias')).toBe(true);
    expect(isAliasSyntax('3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b')).toBe(false);
    expect(isAliasSyntax('a.b')).toBe(false);
  });

  it('reads `aliases` of a create request: at most 5, no repeats', () => {
    expect(aliasesField({})).toEqual([]);
    expect(aliasesField({ aliases: null })).toEqual([]);
    expect(aliasesField({ aliases: ['a1', 'a2'] })).toEqual(['a1', 'a2']);
    expect(codeOf(() => aliasesField({ aliases: 'a1' }))).toBe('INVALID_FIELD_ERR');
    expect(codeOf(() => aliasesField({ aliases: ['a1', 'a1'] }))).toBe('INVALID_FIELD_ERR');
    expect(codeOf(() => aliasesField({ aliases: ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'] }))).toBe('KEY_ALIAS_QUOTA_ERR');
  });
});
