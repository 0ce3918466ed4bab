import { findFreePort, startStack } from '@keyward/stack';
import { repoRoot } from '@keyward/testing';
import { startHsm } from '../start-hsm';
import { writePlatformPartsFile } from './platform-parts';
import { createSoftHsmToken } from './softhsm-token';

export type HsmBackendName = 'software' | 'pkcs11';
export const HSM_BACKENDS: HsmBackendName[] = ['software', 'pkcs11'];

export interface LaunchedHsm {
  url: string;
  close(): Promise<void>;
}

export interface HsmBackendSetup {
  env: Record<string, string>;
  /** pkcs11: the token's SOFTHSM2_CONF. */
  softhsmConf?: string;
  /** pkcs11: every line the child replicas printed. */
  output: string[];
  platformThreshold: number | null;
  /** Starts one HSM replica with `env` on this backend. */
  launch(env: Record<string, string | undefined>): Promise<LaunchedHsm>;
  dispose(): void;
}

/**
 * An HSM on `backend` with a usable platform domain: a parts file (software, started in-process) or a
 * fresh SoftHSM2 token holding the platform master key (pkcs11). The pkcs11 replica runs as the built
 * app in a child process: SoftHSM reads SOFTHSM2_CONF from the real process environment, which a jest
 * sandbox cannot set, and one process owns a token directory (HSM.md) — as in production.
 */
export async function backendSetup(backend: HsmBackendName): Promise<HsmBackendSetup> {
  const platform = await writePlatformPartsFile();
  const shared = { KEYWARD_HSM_STORAGE_KEY: platform.storageKey };
  if (backend === 'software') {
    return {
      env: { ...shared, KEYWARD_HSM_PLATFORM_PARTS_FILE: platform.path },
      platformThreshold: 2,
      launch: async (env) => startHsm(env),
      output: [],
      dispose: () => undefined,
    };
  }
  const token = createSoftHsmToken();
  const output: string[] = [];
  return {
    output,
    env: { ...shared, ...token.env },
    softhsmConf: token.conf,
    platformThreshold: null,
    launch: async (env) => {
      const port = await findFreePort();
      const stack = await startStack({
        root: repoRoot(),
        apps: ['hsm'],
        env: { PATH: process.env['PATH'], ...env, SOFTHSM2_CONF: token.conf },
        ports: { hsm: port },
        onOutput: (_app, line) => output.push(line),
      });
      return { url: stack.services[0]?.url ?? '', close: () => stack.stop() };
    },
    dispose: token.dispose,
  };
}
