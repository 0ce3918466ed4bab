import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import type { Logger } from 'pino';
import { HEADERS } from '@keyward/contracts';
import { acceptOrCreateRequestId, requestContext } from '../logging/request-context';
import type { MetricsService } from '../metrics/metrics.service';

/**
 * Runs each NATS handler inside the request context named by the message's x-request-id header, so
 * its logs and onward calls carry the id of the HTTP request that started the chain.
 */
@Injectable()
export class RpcContextInterceptor implements NestInterceptor {
  constructor(
    private readonly metrics: MetricsService,
    private readonly logger: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // Global to the hybrid app, so it also sees HTTP requests: those have their context already.
    if (context.getType() !== 'rpc') return next.handle();
    const nats = context.switchToRpc().getContext<NatsContext>();
    const requestId = acceptOrCreateRequestId(nats.getHeaders()?.get(HEADERS.requestId));
    const subject = nats.getSubject();
    const stopTimer = this.metrics.rpcServerDuration.startTimer({ subject });
    const finish = (outcome: 'ok' | 'error') => {
      const seconds = stopTimer({ outcome });
      // Inside the request context, so the line carries the caller's request id.
      this.logger.debug({ subject, outcome, ms: Math.round(seconds * 10000) / 10 }, 'rpc handled');
    };
    return new Observable((subscriber) =>
      requestContext.run({ requestId }, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            finish('error');
            subscriber.error(error);
          },
          complete: () => {
            finish('ok');
            subscriber.complete();
          },
        }),
      ),
    );
  }
}
