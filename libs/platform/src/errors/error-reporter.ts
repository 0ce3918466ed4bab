import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DomainError } from '@keyward/contracts';

/**
 * Logs an error once, where it is mapped: internal errors with their cause and a fresh error id
 * (returned, so the response can name it); user errors at debug level, without a stack.
 */
export function reportError(logger: Logger, error: DomainError, where: string): string | undefined {
  if (error.isInternal) {
    const errorId = randomUUID();
    logger.error({ errorId, code: error.code, where, err: error.options.cause ?? error }, 'request failed with an internal error');
    return errorId;
  }
  logger.debug({ code: error.code, where }, error.message);
  return undefined;
}
