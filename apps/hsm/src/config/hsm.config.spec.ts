import { randomBytes } from 'node:crypto';
import { ConfigError } from '@keyward/platform';
import { loadHsmConfig } from './hsm.config';

const base = { NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/hsm' };

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    loadHsmConfig(env);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

describe('HSM configuration', () => {
  // Without a stable storage key, an hs-crypto domain's ceremony key could not be opened after a
  // restart and the domain would stay sealed for good: the daemon refuses to start instead.
  it('requires KEYWARD_HSM_STORAGE_KEY, on every backend', () => {
    expect(problemsOf(base)).toContain('KEYWARD_HSM_STORAGE_KEY');
    expect(problemsOf({ ...base, KEYWARD_HSM_BACKEND: 'pkcs11', KEYWARD_HSM_PKCS11_PIN: '1234' })).toContain('KEYWARD_HSM_STORAGE_KEY');
  });

  it('accepts 32 bytes of base64 and refuses anything else', () => {
    const key = randomBytes(32);
    expect(loadHsmConfig({ ...base, KEYWARD_HSM_STORAGE_KEY: key.toString('base64') }).hsm.storageKey.equals(key)).toBe(true);
    expect(problemsOf({ ...base, KEYWARD_HSM_STORAGE_KEY: randomBytes(16).toString('base64') })).toContain('KEYWARD_HSM_STORAGE_KEY: must be 32 bytes');
  });
});
