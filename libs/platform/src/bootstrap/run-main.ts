import { ConfigError } from '../config/config-error';
import { EnvNamesReport } from '../config/env-names';
import type { RunningService } from './start-service';

/**
 * The body of every app's main.ts: a bad configuration stops the app with a message naming the
 * variable (exit 1); any other start-up failure is printed and also exits 1. With `--env-names` it
 * prints the variables the app reads (JSON) and exits 0 without starting.
 */
export function runMain(start: () => Promise<RunningService>): void {
  start().catch((error: unknown) => {
    if (error instanceof EnvNamesReport) {
      process.stdout.write(`${JSON.stringify({ app: error.app, ...error.names })}\n`);
      process.exit(0);
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`Start-up failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    }
    process.exit(1);
  });
}
