import type { z } from 'zod';

/**
 * `node main.js --env-names` prints the variables an app reads, and which of them it requires, then
 * exits: operators see an app's whole configuration surface, and a test checks docker-compose.yml
 * against it (an unknown name there is a typo the app would silently ignore).
 */
export interface EnvNames {
  app: string;
  /** Every variable the app reads. */
  known: string[];
  /** The ones without a default: the app refuses to start without them. */
  required: string[];
}

export const ENV_NAMES_FLAG = '--env-names';

export function envNamesRequested(argv: readonly string[] = process.argv): boolean {
  return argv.includes(ENV_NAMES_FLAG);
}

/** Thrown by the config loader instead of parsing when `--env-names` was given; runMain prints it. */
export class EnvNamesReport extends Error {
  constructor(
    readonly app: string,
    readonly names: Omit<EnvNames, 'app'>,
  ) {
    super(`environment names of ${app}`);
    this.name = 'EnvNamesReport';
  }
}

export function describeEnvSchema(schema: z.ZodObject): Omit<EnvNames, 'app'> {
  const known = Object.keys(schema.shape).sort();
  const required = known.filter((name) => !(schema.shape[name] as z.ZodType).safeParse(undefined).success);
  return { known, required };
}
