import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/**
 * A fresh SoftHSM2 token in a directory of its own (one process per token directory, HSM.md gotcha
 * 8). The process that uses it needs SOFTHSM2_CONF=`conf` in its real environment. Fails loudly when softhsm2 is not installed: CI installs it (apt-get install softhsm2).
 */
export function createSoftHsmToken(): { env: Record<string, string>; conf: string; dispose(): void } {
  if (!existsSync(SOFTHSM_MODULE)) throw new Error(`SoftHSM2 is not installed (${SOFTHSM_MODULE}): apt-get install -y softhsm2`);
  const directory = mkdtempSync(join(tmpdir(), 'keyward-softhsm-'));
  const tokens = join(directory, 'tokens');
  mkdirSync(tokens);
  const conf = join(directory, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const pin = randomBytes(8).toString('hex');
  const label = 'keyward-test';
  const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', randomBytes(8).toString('hex'), '--pin', pin], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`softhsm2-util --init-token failed: ${init.stderr}`);
  return {
    conf,
    env: { KEYWARD_HSM_BACKEND: 'pkcs11', KEYWARD_HSM_PKCS11_MODULE: SOFTHSM_MODULE, KEYWARD_HSM_PKCS11_TOKEN_LABEL: label, KEYWARD_HSM_PKCS11_PIN: pin },
    dispose: () => rmSync(directory, { recursive: true, force: true }),
  };
}
