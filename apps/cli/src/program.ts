import { Command } from 'commander';
import type { CliContext } from './cli-context';
import { statusCommand } from './commands/status.command';

/**
 * The `keyward` command. Each subcommand returns its exit code; the program sets it once commander
 * has parsed the arguments (or has printed help or a usage error, exit 0 or 1).
 */
export function createProgram(context: CliContext, setExitCode: (code: number) => void): Command {
  const program = new Command('keyward')
    .description('Keyward: a Key Protect-compatible KMS, IAM, HSM and the services that use them')
    .version('0.0.0')
    .configureOutput({ writeOut: (text) => context.out(text.trimEnd()), writeErr: (text) => context.err(text.trimEnd()) })
    .exitOverride()
    .showHelpAfterError();

  program
    .command('status')
    .description("show each service's health (URLs from KEYWARD_<APP>_URL, default this machine)")
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => setExitCode(await statusCommand(context, options)));

  return program;
}

/** Runs the program on `argv` and resolves with the exit code. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  let exitCode = 0;
  const program = createProgram(context, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // exitOverride: commander throws after printing help, the version or a usage error.
    const commanderError = error as { exitCode?: number; code?: string };
    if (typeof commanderError.exitCode === 'number') return commanderError.exitCode;
    context.err(`keyward: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  return exitCode;
}
