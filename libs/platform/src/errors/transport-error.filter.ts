import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from 'pino';
import type { HttpErrorFormat } from './http-error-formats';
import { HttpErrorFilter } from './http-exception.filter';
import { RpcErrorFilter } from './rpc-error.filter';

/**
 * The app's one global filter. Nest gives a hybrid app's NATS handlers the HTTP app's global filters
 * (a hybrid microservice cannot take its own), so this hands each error to its transport's mapper.
 */
@Catch()
export class TransportErrorFilter implements ExceptionFilter {
  private readonly http: HttpErrorFilter;
  private readonly rpc: RpcErrorFilter;

  constructor(format: HttpErrorFormat, logger: Logger) {
    this.http = new HttpErrorFilter(format, logger);
    this.rpc = new RpcErrorFilter(logger);
  }

  catch(exception: unknown, host: ArgumentsHost): unknown {
    return host.getType() === 'rpc' ? this.rpc.catch(exception, host) : this.http.catch(exception, host);
  }
}
