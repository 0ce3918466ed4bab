import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { HEADERS } from '@keyward/contracts';
import { acceptOrCreateRequestId, requestContext } from '../logging/request-context';
import type { MetricsService } from '../metrics/metrics.service';

/**
 * Runs each NATS handler inside the request context named by the message's x-request-id header, so
 * its logs and onward calls carry the id of the HTTP request that started the chain.
 */
@Injectable()
export class RpcContextInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const nats = context.switchToRpc().getContext<NatsContext>();
    const requestId = acceptOrCreateRequestId(nats.getHeaders()?.get(HEADERS.requestId));
    const subject = nats.getSubject();
    const stopTimer = this.metrics.rpcServerDuration.startTimer({ subject });
    return new Observable((subscriber) =>
      requestContext.run({ requestId }, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            stopTimer({ outcome: 'error' });
            subscriber.error(error);
          },
          complete: () => {
            stopTimer({ outcome: 'ok' });
            subscriber.complete();
          },
        }),
      ),
    );
  }
}
