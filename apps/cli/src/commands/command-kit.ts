import { readFileSync } from 'node:fs';
import type { CliContext } from '../cli-context';
import { CliError, EXIT, usageError } from '../cli-error';

/** What every command group's registrar gets. */
export interface CommandEnv {
  context: CliContext;
  /** For commands whose negative answer is not an error (exit 1, e.g. `status`). */
  setExitCode(code: number): void;
}

/**
 * Asks before a destructive action unless `-f` was given. Without a terminal there is nobody to ask:
 * that is a usage error, so a script never deletes by accident nor hangs on a prompt.
 */
export async function confirmed(context: CliContext, force: boolean | undefined, question: string, verb = 'delete'): Promise<boolean> {
  if (force) return true;
  if (!context.interactive) throw usageError(`Refusing to ${verb} without confirmation: there is no terminal to ask`, `Add -f (--force) to ${verb} without asking`);
  const yes = await context.confirm(question);
  if (!yes) context.err(verb === 'delete' ? 'Nothing was deleted.' : 'Nothing was done.');
  return yes;
}

/** `@path` reads the value from a file (ibmcloud's convention); anything else is the value itself. */
export function valueOrFile(value: string, what: string): string {
  if (!value.startsWith('@')) return value;
  const path = value.slice(1);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw usageError(`Cannot read ${what} from ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A JSON object given on the command line (or `@file`), or exit 2 naming the flag. */
export function jsonObjectArgument(value: string, flag: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(valueOrFile(value, flag));
  } catch {
    throw usageError(`${flag} must be a JSON object, e.g. ${flag} '{"name":"value"}'`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw usageError(`${flag} must be a JSON object, e.g. ${flag} '{"name":"value"}'`);
  return parsed as Record<string, unknown>;
}

/** A comma-separated list (`Reader,Writer`), trimmed, without empties. */
export function listArgument(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

export function notFound(message: string, hint: string): CliError {
  return new CliError(EXIT.refused, message, hint);
}
