import { HttpException } from '@nestjs/common';
import { DomainError, type ErrorCode } from '@keyward/contracts';

/** HTTP statuses that Nest or Fastify raise themselves (routing, body parsing), as domain codes. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_BODY_ERR',
  401: 'UNAUTHORIZED_ERR',
  403: 'FORBIDDEN_ERR',
  404: 'NOT_FOUND_ERR',
  405: 'METHOD_NOT_ALLOWED_ERR',
  409: 'CONFLICT_ERR',
  413: 'PAYLOAD_TOO_LARGE_ERR',
  415: 'UNSUPPORTED_MEDIA_TYPE_ERR',
  429: 'TOO_MANY_REQUESTS_ERR',
};

/**
 * Turns anything thrown into a DomainError. A framework's 4xx keeps its status as the nearest code;
 * anything else is an internal error, and the original is kept as `cause` for the log only.
 */
export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  const status = statusOf(error);
  if (status !== undefined && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'BAD_BODY_ERR';
    return new DomainError(code, undefined, { cause: error });
  }
  return new DomainError('INTERNAL_ERR', undefined, { cause: error });
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  // Fastify's own errors (FST_ERR_CTP_*, JSON syntax errors) carry `statusCode`.
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const statusCode = (error as { statusCode: unknown }).statusCode;
    return typeof statusCode === 'number' ? statusCode : undefined;
  }
  return undefined;
}
