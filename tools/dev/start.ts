// `npm start`: the whole Keyward stack on this machine, in the foreground until Ctrl-C.
// Checks (or starts) Postgres and NATS, builds the apps, creates and migrates each app's database,
// starts every app, waits until each /health is ok, then prints where each listens and the
// development admin API key.
import { ADMIN_APIKEY_ENV } from '@keyward/contracts';
import { launchDevStack } from './dev-stack';

function step(message: string): void {
  console.log(`\u25b8 ${message}`);
}

async function main(): Promise<void> {
  const { stack, secrets } = await launchDevStack({
    env: process.env,
    step,
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
