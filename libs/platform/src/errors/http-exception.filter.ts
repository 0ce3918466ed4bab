import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { type DomainError, HEADERS } from '@keyward/contracts';
import { type HttpErrorFormat, formatHttpError } from './http-error-formats';
import { reportError } from './error-reporter';
import { toDomainError } from './to-domain-error';

/** The coded error each answered request got, for an app's own records (e.g. the KMS's audit trail). */
const answeredErrors = new WeakMap<FastifyRequest, DomainError>();

/** The DomainError a request was answered with, once the error was mapped (undefined for successes). */
export function httpErrorOf(request: FastifyRequest): DomainError | undefined {
  return answeredErrors.get(request);
}

/** Writes any error as the app's documented HTTP error body. Shared by the Nest filter and Fastify's error handler. */
export function sendHttpError(
  format: HttpErrorFormat,
  logger: Logger,
  request: FastifyRequest,
  reply: FastifyReply,
  thrown: unknown,
): void {
  const error = toDomainError(thrown);
  answeredErrors.set(request, error);
  const errorId = reportError(logger, error, `${request.method} ${request.routeOptions?.url ?? 'unmatched route'}`);
  void reply
    .status(error.status)
    .header(HEADERS.requestId, request.id)
    .type('application/json')
    .send(formatHttpError(format, error, { requestId: request.id, ...(errorId ? { errorId } : {}) }));
}

/** Maps HTTP errors (thin controllers and services only throw DomainError); reached through TransportErrorFilter. */
export class HttpErrorFilter implements ExceptionFilter {
  constructor(
    private readonly format: HttpErrorFormat,
    private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendHttpError(this.format, this.logger, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), exception);
  }
}
