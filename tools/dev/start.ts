// `npm start`: the whole Keyward stack on this machine, in the foreground until Ctrl-C.
// Checks (or starts) Postgres and NATS, builds the apps, creates and migrates each app's database,
// starts every app, waits until each /health is ok, then prints where each listens and the
// development admin API key.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { KEYWARD_APPS, type KeywardAppName, ADMIN_APIKEY_ENV, appPortEnvName } from '@keyward/contracts';
import { startStack } from '@keyward/stack';
import { loadOrCreateDevSecrets } from './dev-secrets';
import { loadOrCreateHsmDevEnv } from './hsm-dev-parts';
import { ensureLocalServices } from './local-services';

/** The apps `npm start` runs, in start order (peers before the KMS that pings them). */
export const STACK_APPS: readonly KeywardAppName[] = ['iam', 'hsm', 'kms', 'app-configuration', 'schematics', 'dbaas'];

const root = join(__dirname, '..', '..');

function step(message: string): void {
  console.log(`\u25b8 ${message}`);
}

async function main(): Promise<void> {
  const env = process.env;
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
    env: { ...env, ...secrets, NATS_URL: natsUrl, LOG_LEVEL: env['LOG_LEVEL'] ?? 'info' },
    ports: Object.fromEntries(STACK_APPS.map((app) => [app, Number(env[appPortEnvName(app)] ?? KEYWARD_APPS[app].port)])),
    perAppEnv: (app) => ({ DATABASE_URL: databaseUrlFor(app, { ...env, KEYWARD_POSTGRES_URL: postgresUrl }), ...(app === 'hsm' ? hsmEnv : {}) }),
    onOutput: (app, line) => process.stdout.write(`[${app}] ${line}\n`),
    onUnexpectedExit: (app, code, signal) => {
      console.error(`\n${app} exited (${signal ?? `code ${code}`}); stopping the stack.`);
      void stack.stop().then(() => process.exit(1));
    },
  });

  console.log('\nKeyward is running:');
  for (const service of stack.services) console.log(`  ${service.app.padEnd(18)} ${service.url}   (health: ${service.url}/health)`);
  console.log(`\n  Development admin API key (${ADMIN_APIKEY_ENV}): ${secrets[ADMIN_APIKEY_ENV]}`);
  console.log('  (kept in .keyward/dev-secrets.env; delete that file for new keys)');
  console.log('  `npx keyward status` shows every service\'s health. Press Ctrl-C to stop.\n');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping (each app drains NATS and closes its database)…`);
    void stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(`\nKeyward did not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
