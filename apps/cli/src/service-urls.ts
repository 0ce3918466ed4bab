import { KEYWARD_APPS, type KeywardAppName, appUrlEnvName } from '@keyward/contracts';

export const STACK_SERVICES = Object.keys(KEYWARD_APPS) as KeywardAppName[];

/** Where each service listens: KEYWARD_<APP>_URL when set, else its default port on this machine. */
export function serviceUrl(app: KeywardAppName, env: NodeJS.ProcessEnv): string {
  return env[appUrlEnvName(app)] ?? `http://127.0.0.1:${KEYWARD_APPS[app].port}`;
}
