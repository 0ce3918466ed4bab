import { z } from 'zod';
import { ConfigError } from './config-error';

export type Env = Record<string, string | undefined>;

/**
 * Parses the environment into a typed config, once, at start. Problems name the variable and what is
 * wrong, never the value (values may be secrets such as API keys or database passwords).
 */
export function parseEnv<S extends z.ZodObject>(app: string, schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    variable: issue.path.map(String).join('.') || '(environment)',
    problem: describeIssue(issue),
  }));
  throw new ConfigError(app, problems);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required but not set';
  return issue.message;
}
