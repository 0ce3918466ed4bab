import { newDek, open, seal } from './workspace-cipher';

describe('workspace cipher', () => {
  it('round-trips under the same DEK and CRN, and never contains the plaintext', () => {
    const dek = newDek();
    const sealed = seal(dek, 'hunter2-secret', 'crn:a');
    expect(sealed).not.toContain('hunter2');
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('hunter2');
    expect(open(dek, sealed, 'crn:a')).toBe('hunter2-secret');
  });

  it('refuses another workspace CRN or another DEK', () => {
    const dek = newDek();
    const sealed = seal(dek, 'value', 'crn:a');
    expect(() => open(dek, sealed, 'crn:b')).toThrow(/could not be decrypted/);
    expect(() => open(newDek(), sealed, 'crn:a')).toThrow(/could not be decrypted/);
  });
});
