/**
 * Exit codes, so scripts can tell what went wrong without parsing messages (docs/CLI.md).
 * 1 is left for "the command ran and the answer is negative" (e.g. `keyward status` with a service down).
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  /** Bad command line: unknown command or flag, missing or malformed argument. */
  usage: 2,
  /** Not logged in, wrong API key, or a session that cannot be renewed. */
  auth: 3,
  /** The service refused the request: not found, not allowed, invalid, conflicting. */
  refused: 4,
  /** The service failed (5xx) or could not be reached. */
  unavailable: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An error the CLI reports to its user: what happened and, in `hint`, what to do next. Messages
 * never carry a secret (API key, token): they are printed to stderr as they are.
 */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly hint?: string,
    /** The service's error code, when a service answered. */
    readonly code?: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError(EXIT.usage, message, hint);
}
