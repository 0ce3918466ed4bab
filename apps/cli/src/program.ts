import { Command, CommanderError, Option } from 'commander';
import type { CliContext } from './cli-context';
import { CliError, EXIT } from './cli-error';
import type { CommandEnv } from './commands/command-kit';
import { registerAppConfigGroup } from './commands/app-config/app-config.commands';
import { registerDbaasGroup } from './commands/dbaas/dbaas.commands';
import { registerDemoCommand } from './commands/demo/demo.command';
import { registerHpcsGroup } from './commands/hpcs/hpcs.commands';
import { registerIamGroup } from './commands/iam/iam.commands';
import { registerKpGroup } from './commands/kp/kp.commands';
import { registerLoginCommands } from './commands/login.commands';
import { registerResourceGroup } from './commands/resource/service-instance.commands';
import { registerSchematicsGroup } from './commands/schematics/schematics.commands';
import { statusCommand } from './commands/status.command';
import { OUTPUT_FORMATS } from './output/output';

/** Every command, subcommand and group behaves the same: usage errors throw, help goes to our streams. */
function configure(command: Command, context: CliContext): void {
  command
    .configureOutput({ writeOut: (text) => context.out(text.trimEnd()), writeErr: (text) => context.err(text.trimEnd()) })
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  for (const sub of command.commands) configure(sub, context);
}

/**
 * The `keyward` command. A command group is one file under `commands/` with a `register…`
 * function (`kp` and `hpcs` call the KMS through AuthSession like the others).
 */
export function createProgram(context: CliContext, setExitCode: (code: number) => void): Command {
  const program = new Command('keyward')
    .description('Keyward: a Key Protect-compatible KMS, IAM, HSM and the services that use them')
    .version('0.0.0')
    .addOption(new Option('--output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failed (negative answer), 2 usage, 3 not logged in or session ended, 4 refused or not found, 5 service failed or unreachable.',
    );

  const env: CommandEnv = { context, setExitCode };
  program
    .command('status')
    .description("show each service's health (URLs from KEYWARD_<APP>_URL, default this machine)")
    .option('--json', 'print the result as JSON (same as --output json)')
    .action(async (options: { json?: boolean }, command: Command) => {
      const json = options.json === true || (command.optsWithGlobals() as { output?: string }).output === 'json';
      setExitCode(await statusCommand(context, { json }));
    });
  registerLoginCommands(program, env);
  registerResourceGroup(program, env);
  registerIamGroup(program, env);
  registerKpGroup(program, env);
  registerHpcsGroup(program, env);
  registerSchematicsGroup(program, env);
  registerAppConfigGroup(program, env);
  registerDbaasGroup(program, env);
  // The demo runs the commands above in-process (runCli), so it walks exactly what a user types.
  registerDemoCommand(program, env, runCli);
  configure(program, context);
  return program;
}

function reportCliError(context: CliContext, error: CliError): void {
  context.err(`FAILED: ${error.message}`);
  if (error.hint) context.err(error.hint);
}

/** Runs the program on `argv` and resolves with the exit code (docs/CLI.md "Exit codes"). */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = createProgram(context, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; every other commander error is a usage error (already printed).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      reportCliError(context, error);
      return error.exitCode;
    }
    // Not expected: say so without a stack or the error's data (which could hold a secret).
    context.err(`FAILED: unexpected error (${error instanceof Error ? error.name : typeof error}). Please report it.`);
    return EXIT.failed;
  }
  return exitCode;
}
