import { type KeywardAppName, appUrlEnvName } from '@keyward/contracts';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import globalSetup from './jest/global-setup';
import { createHsmDevEnv } from './services/hsm-dev-parts';
import { repoRoot } from './services/repo-root';
import { type SuiteContext, createSuiteContext } from './suite-context';

type GlobalWithStack = typeof globalThis & { __keywardE2eStack?: { stack?: RunningStack; suite: SuiteContext } };

/**
 * The one e2e harness: starts the built apps on free ports, once per e2e project, each on its own
 * database copy and under one NATS prefix, and publishes KEYWARD_<APP>_URL and the admin API key to
 * the suites. When every KEYWARD_<APP>_URL is already set, it tests that running stack instead.
 */
export async function startE2eStack(apps: readonly KeywardAppName[]): Promise<void> {
  if (apps.every((app) => process.env[appUrlEnvName(app)])) return;
  await globalSetup();
  const suite = await createSuiteContext(apps);
  const ports = Object.fromEntries(await Promise.all(apps.map(async (app) => [app, await findFreePort()] as const)));
  const env: Record<string, string | undefined> = { PATH: process.env['PATH'], NODE_ENV: process.env['NODE_ENV'] };
  for (const app of apps) Object.assign(env, suite.envFor(app));
  // The HSM serves the platform domain (every `kms` instance's keys) only with its master key's parts.
  const hsmEnv = apps.includes('hsm') ? createHsmDevEnv() : {};
  const output: string[] = [];
  let stack: RunningStack;
  try {
    stack = await startStack({
      root: repoRoot(),
      apps,
      env: { ...env, DATABASE_URL: undefined },
      ports,
      perAppEnv: (app) => ({ DATABASE_URL: suite.databases[app]?.url, ...(app === 'hsm' ? hsmEnv : {}) }),
      onOutput: (app, line) => output.push(`[${app}] ${line}`),
    });
  } catch (error) {
    await suite.dispose();
    throw new Error(`${(error as Error).message}\n--- app output ---\n${output.slice(-40).join('\n')}`);
  }
  (globalThis as GlobalWithStack).__keywardE2eStack = { stack, suite };
  for (const service of stack.services) process.env[appUrlEnvName(service.app)] = service.url;
  process.env['KEYWARD_ADMIN_APIKEY'] = suite.adminApiKey;
  // Suites act as a consumer service too (e.g. App Configuration calling the KMS with its service token).
  Object.assign(process.env, suite.serviceApiKeys);
  process.env['KEYWARD_E2E_NATS_PREFIX'] = suite.prefix;
  // What a dump of an app's database would show (e.g. seed 004: a DBaaS table holds only ciphertext).
  for (const app of apps) {
    const databaseUrl = suite.databases[app]?.url;
    if (databaseUrl) process.env[e2eDatabaseUrlEnvName(app)] = databaseUrl;
  }
}

/** The variable an e2e suite reads an app's database URL from (set by startE2eStack, or by whoever runs a stack of their own). */
export function e2eDatabaseUrlEnvName(app: KeywardAppName): string {
  return `KEYWARD_E2E_DATABASE_URL_${app.toUpperCase().replace(/-/g, '_')}`;
}

export async function stopE2eStack(): Promise<void> {
  const global = globalThis as GlobalWithStack;
  const started = global.__keywardE2eStack;
  global.__keywardE2eStack = undefined;
  if (!started) return;
  await started.stack?.stop();
  await started.suite.dispose();
}
