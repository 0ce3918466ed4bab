import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../cli-error';
import { aadOption, base64Argument, createKeyBody, expirationDateOption, integerOption, keyStatesQuery, rootKeyMaterial } from './kp-requests';

const usage = (fn: () => unknown): CliError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return error as CliError;
  }
  throw new Error('expected a usage error');
};

describe('kp request building', () => {
  it('builds the POST /keys envelope: root keys are not extractable, imports carry the payload', () => {
    expect(createKeyBody({ name: 'k', standard: false })).toEqual({
      metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
      resources: [{ type: 'application/vnd.ibm.kms.key+json', name: 'k', extractable: false }],
    });
    const body = createKeyBody({ name: 's', standard: true, description: 'd', payload: 'AAAA', aliases: ['a1'], expirationDate: '2030-01-01T00:00:00Z' }) as { resources: unknown[] };
    expect(body.resources[0]).toEqual({ type: 'application/vnd.ibm.kms.key+json', name: 's', extractable: true, description: 'd', payload: 'AAAA', aliases: ['a1'], expirationDate: '2030-01-01T00:00:00Z' });
  });

  it('maps key state names and numbers to the state query, and refuses others', () => {
    expect(keyStatesQuery('active, Suspended,5')).toBe('1,2,5');
    expect(keyStatesQuery('destroyed,destroyed')).toBe('5');
    expect(usage(() => keyStatesQuery('sleeping')).message).toContain('"sleeping"');
    usage(() => keyStatesQuery('4'));
    usage(() => keyStatesQuery(','));
  });

  it('checks base64 without echoing the value, and reads @file', () => {
    const secret = 'this is not base64 but a secret!';
    const error = usage(() => base64Argument(secret, 'key material', '--key-material'));
    expect(`${error.message} ${error.hint ?? ''}`).not.toContain(secret);
    const dir = mkdtempSync(join(tmpdir(), 'kp-requests-'));
    try {
      writeFileSync(join(dir, 'dek'), 'QUJD\nREVG\n');
      expect(base64Argument(`@${join(dir, 'dek')}`, 'the DEK', '--plaintext')).toBe('QUJDREVG');
    } finally {
      rmSync(dir, { recursive: true });
    }
    usage(() => base64Argument('@/does/not/exist', 'the DEK', '--plaintext'));
  });

  it('accepts 128, 192 and 256-bit root key material only', () => {
    for (const bytes of [16, 24, 32]) expect(rootKeyMaterial(Buffer.alloc(bytes, 1).toString('base64'), '-k')).toHaveLength(bytes);
    usage(() => rootKeyMaterial(Buffer.alloc(31).toString('base64'), '-k'));
  });

  it('splits AAD on commas, limits entries to 255 characters, and checks numbers and dates', () => {
    expect(aadOption('a,b c')).toEqual(['a', 'b c']);
    expect(aadOption(undefined)).toBeUndefined();
    usage(() => aadOption('x'.repeat(256)));
    expect(integerOption('12', '-n', 1, 5000)).toBe(12);
    usage(() => integerOption('-1', '-n'));
    usage(() => integerOption('1.5', '-n'));
    expect(expirationDateOption('2030-01-01')).toBe('2030-01-01T00:00:00Z');
    usage(() => expirationDateOption('someday'));
  });
});
