import { z } from 'zod';

/** Zod fields for environment variables: strings in, typed values out, messages that say what is expected. */
export const envFields = {
  port: (defaultPort: number) =>
    z
      .string()
      .default(String(defaultPort))
      .pipe(
        z
          .string()
          .regex(/^\d+$/, 'must be a whole number from 0 to 65535')
          .transform(Number)
          .pipe(z.number().int().min(0, 'must be from 0 to 65535').max(65535, 'must be from 0 to 65535')),
      ),

  positiveInt: (defaultValue: number) =>
    z
      .string()
      .default(String(defaultValue))
      .pipe(z.string().regex(/^\d+$/, 'must be a positive whole number').transform(Number).pipe(z.number().int().positive('must be a positive whole number'))),

  url: (protocols: readonly string[], defaultValue?: string) => {
    const field = z.string().refine(
      (value) => {
        try {
          return value.split(',').every((part) => protocols.includes(new URL(part.trim()).protocol.replace(/:$/, '')));
        } catch {
          return false;
        }
      },
      { message: `must be a URL (${protocols.join(', ')})` },
    );
    return defaultValue === undefined ? field : field.default(defaultValue);
  },

  boolean: (defaultValue: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .default(defaultValue ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),

  /** A secret: required, at least `minLength` characters. Never echoed back in errors. */
  secret: (minLength = 16) => z.string({ message: 'is required but not set' }).min(minLength, `must be at least ${minLength} characters`),

  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** A NATS subject-token prefix (per test suite), or empty in production. */
  natsPrefix: () =>
    z
      .string()
      .regex(/^([a-z0-9][a-z0-9_-]{0,31})?$/, 'must be empty or 1-32 characters of a-z, 0-9, _ and -')
      .default(''),
};
