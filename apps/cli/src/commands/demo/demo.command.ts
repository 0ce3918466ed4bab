import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ADMIN_APIKEY_ENV, KEYWARD_APPS, appUrlEnvName } from '@keyward/contracts';
import type { CliContext } from '../../cli-context';
import { EXIT, usageError } from '../../cli-error';
import { AuthSession } from '../../session/auth-session';
import { type CommandEnv, valueOrFile } from '../command-kit';
import { Demo, DemoFailure, DemoShell, type RunCli, check } from './demo-runner';
import { type DemoWorld, seed000, seed000Enable, seed001, seed002, seed003, seed004 } from './demo-seeds';

interface DemoOptions {
  apikey?: string;
  endpoint?: string;
}

/** `.keyward/dev-secrets.env` (written by `npm start`) in this directory or one above it. */
function devSecretsAdminKey(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, '.keyward', 'dev-secrets.env');
    if (existsSync(file)) return new RegExp(`^${ADMIN_APIKEY_ENV}=(.+)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1]?.trim();
    if (dirname(dir) === dir) return undefined;
  }
}

function storedSession(context: CliContext) {
  try {
    return AuthSession.storeFor(context).read();
  } catch {
    return undefined;
  }
}

/** The operator's API key: --apikey, KEYWARD_APIKEY, KEYWARD_ADMIN_APIKEY, `npm start`'s dev secrets, else the current session's. */
function operatorKey(context: CliContext, options: DemoOptions): string {
  const key =
    (options.apikey === undefined ? undefined : valueOrFile(options.apikey, '--apikey')) ??
    context.env['KEYWARD_APIKEY'] ??
    context.env[ADMIN_APIKEY_ENV] ??
    devSecretsAdminKey(process.cwd()) ??
    storedSession(context)?.apiKey;
  if (!key?.trim()) {
    throw usageError('No API key for the demo', `Run it where \`npm start\` runs (it reads .keyward/dev-secrets.env), or give the operator's key: --apikey @<file> or ${ADMIN_APIKEY_ENV}`);
  }
  return key.trim();
}

/** The whole walk: a fresh account, the five seeds, the deferred enable of seed 000, and the cleanup. */
async function runDemo(env: CommandEnv, runCli: RunCli, options: DemoOptions): Promise<number> {
  const { context } = env;
  const iamUrl = (options.endpoint ?? context.env[appUrlEnvName('iam')] ?? storedSession(context)?.iamUrl ?? `http://127.0.0.1:${KEYWARD_APPS.iam.port}`).replace(/\/+$/, '');
  const apiKey = operatorKey(context, options);
  const dir = mkdtempSync(join(tmpdir(), 'keyward-demo-'));
  const print = (line: string) => context.out(line);
  const demo = new Demo(print);
  const operator = new DemoShell(context, runCli, join(dir, 'operator'), print);
  const user = new DemoShell(context, runCli, join(dir, 'user'), print);
  const tag = Date.now().toString(36);
  let failure: string | undefined;

  print('keyward demo: every seed of ../shared/seeds against the running stack. Each step shows what it does,');
  print('the keyward command that does it, and what came back; everything it creates is removed at the end.');
  try {
    demo.seed('Setting up — a fresh account for the demo, so it can run again (Schematics settings are one-time per account)');
    const operatorKeyFile = join(dir, 'operator.key');
    writeFileSync(operatorKeyFile, `${apiKey}\n`, { mode: 0o600 });
    let kmsUrl = '';
    await demo.step('Log in as the operator', async () => {
      const login = (await operator.run<{ user: string }>(['login', '--apikey', `@${operatorKeyFile}`, '--endpoint', iamUrl])).json;
      return `logged in to ${iamUrl} as ${login.user}`;
    });
    await demo.step('Create an account with an administrator, and an API key for them', async () => {
      const account = (await operator.run<{ id: string }>(['iam', 'account-create', `keyward-demo-${tag}`])).json;
      const admin = (await operator.run<{ iam_id: string }>(['iam', 'user-create', `demo-admin-${tag}`, '--account-id', account.id, '--administrator'])).json;
      const keyFile = join(dir, 'demo-admin.key');
      const key = (await operator.run<{ id: string }>(['iam', 'api-key-create', `demo-admin-${tag}`, '--iam-id', admin.iam_id, '--file', keyFile])).json;
      demo.onCleanup("the demo administrator's API key", operator, ['iam', 'api-key-delete', key.id, '-f']);
      const login = (await user.run<{ user: string; endpoints: Record<string, string> }>(['login', '--apikey', `@${keyFile}`, '--endpoint', iamUrl])).json;
      kmsUrl = login.endpoints['kms'] ?? '';
      check(kmsUrl !== '', "IAM's endpoint catalog should name the KMS");
      return `account ${account.id}; logged in as ${login.user} (the rest of the demo runs as this user)`;
    });
    const world: DemoWorld = { demo, user, dir, kmsUrl, tag };
    await seed002(world);
    // Seed 000 disables its key early: Key Protect enables a key only 30 s later, so seeds 003, 004
    // and 001 run inside that window and the demo stays under a minute.
    await seed000(world);
    await seed003(world);
    await seed004(world);
    await seed001(world);
    await seed000Enable(world);
  } catch (error) {
    failure = error instanceof DemoFailure ? error.message : `unexpected error (${error instanceof Error ? error.message : String(error)})`;
    print(`     ✗ ${failure}`);
  } finally {
    const failedCleanups = await demo.cleanUp();
    if (failedCleanups > 0) context.err(`${failedCleanups} cleanup(s) failed: see above.`);
    await operator.run(['logout'], { quiet: true, allowFailure: true });
    await user.run(['logout'], { quiet: true, allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  }
  print('');
  if (failure) {
    context.err(`FAILED: the demo stopped after ${demo.elapsedSeconds()} s: ${failure}`);
    return EXIT.failed;
  }
  print(`Every seed behaved as documented (${demo.elapsedSeconds()} s). The demo account stays, empty (IAM has no account deletion).`);
  return EXIT.ok;
}

/** `keyward demo`: the guided walk through every seed (docs/CLI.md "keyward demo"). */
export function registerDemoCommand(program: Command, env: CommandEnv, runCli: RunCli): void {
  program
    .command('demo')
    .description('walk through every seed against the running stack (about a minute), printing each step, its keyward command and the result; exits 1 if a step does not behave as documented')
    .option('--apikey <key>', "the operator's API key, or @<file> (default: KEYWARD_APIKEY, KEYWARD_ADMIN_APIKEY, npm start's .keyward/dev-secrets.env, or your session's)")
    .option('--endpoint <url>', "IAM's URL (default: KEYWARD_IAM_URL, your session's, or http://127.0.0.1:8101)")
    .action(async (options: DemoOptions) => {
      env.setExitCode(await runDemo(env, runCli, options));
    });
}
