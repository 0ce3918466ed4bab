import type { z } from 'zod';
import { DomainError, type ErrorCode } from '@keyward/contracts';

/**
 * Validates an incoming message or body against its contract schema. A mismatch is the caller's
 * mistake: a 4xx DomainError naming the first offending field (never the value).
 */
export function parsePayload<S extends z.ZodType>(schema: S, value: unknown, code: ErrorCode = 'BAD_BODY_ERR'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  const message = field ? `${field}: ${issue?.message ?? 'is not valid'}` : (issue?.message ?? 'The payload is not valid');
  return throwError(code, message, field);
}

function throwError(code: ErrorCode, message: string, field: string): never {
  throw new DomainError(code, message, field ? { target: { type: 'field', name: field } } : {});
}
