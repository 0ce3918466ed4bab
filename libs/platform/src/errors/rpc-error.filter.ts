import type { ArgumentsHost, RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import type { Logger } from 'pino';
import type { RpcErrorWire } from '@keyward/contracts';
import { reportError } from './error-reporter';
import { toDomainError } from './to-domain-error';

/**
 * Maps NATS handler errors (reached through TransportErrorFilter): every error leaves as a coded RpcErrorWire, so the
 * caller can rethrow the same DomainError (never Nest's "Internal server error" for a user mistake).
 */
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<RpcErrorWire> {
    const error = toDomainError(exception);
    const subject = host.switchToRpc().getContext<{ getSubject?: () => string }>().getSubject?.() ?? 'rpc';
    const errorId = reportError(this.logger, error, subject);
    const wire = error.toWire();
    return throwError(() => (errorId ? { ...wire, errorId } : wire));
  }
}
