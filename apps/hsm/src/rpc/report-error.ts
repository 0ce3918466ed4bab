import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DomainError } from '@keyward/contracts';

/**
 * As the platform's error reporter (not exported by @keyward/platform): internal errors logged once
 * with their cause under a fresh error id, user errors at debug level. Messages carry no key material.
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
