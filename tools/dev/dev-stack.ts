// The development stack as `npm start` runs it, reusable by the benchmark: checks (or starts)
// Postgres and NATS, builds the apps, creates and migrates each app's database, and starts every app
// with the development secrets and the HSM's development parts file.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { KEYWARD_APPS, type KeywardAppName, appPortEnvName } from '@keyward/contracts';
import { type RunningStack, startStack } from '@keyward/stack';
import { loadOrCreateDevSecrets } from './dev-secrets';
import { loadOrCreateHsmDevEnv } from './hsm-dev-parts';
import { ensureLocalServices } from './local-services';

/** The apps of the stack, in start order (peers before the apps that ping them). */
export const STACK_APPS: readonly KeywardAppName[] = ['iam', 'hsm', 'kms', 'app-configuration', 'schematics', 'dbaas'];

export const repositoryRoot = join(__dirname, '..', '..');

export interface DevStackOptions {
  env: NodeJS.ProcessEnv;
  /** Progress lines (`▸ …`). */
  step(message: string): void;
  /** Ports per app; default KEYWARD_<APP>_PORT or the app's default port. */
  ports?: Partial<Record<KeywardAppName, number>>;
  logLevel?: string;
  onOutput?: (app: KeywardAppName, line: string) => void;
  onUnexpectedExit?: (app: KeywardAppName, code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface DevStack {
  stack: RunningStack;
  /** The development API keys (admin and services) the apps were given. */
  secrets: Record<string, string>;
  natsUrl: string;
}

export async function launchDevStack(options: DevStackOptions): Promise<DevStack> {
  const { env, step } = options;
  const root = repositoryRoot;
  const postgresUrl = env['KEYWARD_POSTGRES_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const natsUrl = env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

  step('Checking PostgreSQL and NATS');
  await ensureLocalServices(postgresUrl, natsUrl);

  step('Building the apps (cached when unchanged)');
  const build = spawnSync(join(root, 'node_modules', '.bin', 'nx'), ['run-many', '-t', 'build', '--projects=tag:type:app', '--output-style=static'], {
    cwd: root,
    env: { ...env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false', NX_TELEMETRY: 'false' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) throw new Error('The build failed: run `npx nx run-many -t build` to see why.');

  step('Creating and migrating the databases');
  const { migrateAll, databaseUrlFor } = (await import(join(root, 'tools', 'prisma', 'migrate-all.mjs'))) as {
    migrateAll(env: NodeJS.ProcessEnv): Promise<string[]>;
    databaseUrlFor(app: string, env: NodeJS.ProcessEnv): string;
  };
  await migrateAll({ ...env, KEYWARD_POSTGRES_URL: postgresUrl });

  const secrets = loadOrCreateDevSecrets(root, env);
  // The HSM auto-unseals the platform domain from a development parts file (docs/HSM.md).
  const hsmEnv = await loadOrCreateHsmDevEnv(root, env);
  step(`Starting ${STACK_APPS.join(', ')}`);
  const stack = await startStack({
    root,
    apps: STACK_APPS,
    env: { ...env, ...secrets, NATS_URL: natsUrl, LOG_LEVEL: options.logLevel ?? env['LOG_LEVEL'] ?? 'info' },
    ports: Object.fromEntries(STACK_APPS.map((app) => [app, options.ports?.[app] ?? Number(env[appPortEnvName(app)] ?? KEYWARD_APPS[app].port)])),
    perAppEnv: (app) => ({ DATABASE_URL: databaseUrlFor(app, { ...env, KEYWARD_POSTGRES_URL: postgresUrl }), ...(app === 'hsm' ? hsmEnv : {}) }),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.onUnexpectedExit ? { onUnexpectedExit: options.onUnexpectedExit } : {}),
  });
  return { stack, secrets, natsUrl };
}
