import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientNats, NatsRecordBuilder } from '@nestjs/microservices';
// Not re-exported by the package index; ClientNats raises it when NATS answers "no responders".
import { EmptyResponseException } from '@nestjs/microservices/errors/empty-response.exception';
import { headers as natsHeaders } from 'nats';
import { TimeoutError, lastValueFrom, timeout } from 'rxjs';
import type { z } from 'zod';
import { DomainError, type ErrorCode, HEADERS } from '@keyward/contracts';
import type { ServiceConfig } from '../config/service-config';
import { requestContext } from '../logging/request-context';
import type { MetricsService } from '../metrics/metrics.service';
import { natsConnectionOptions } from './nats-connection-options';
import type { SubjectNamespace } from './subject-namespace';

/** Nest's NATS client proxy, publishing under the app's subject namespace. */
class NamespacedClientNats extends ClientNats {
  constructor(
    options: ConstructorParameters<typeof ClientNats>[0],
    private readonly namespace: SubjectNamespace,
  ) {
    super(options);
  }

  protected override normalizePattern(pattern: Parameters<ClientNats['normalizePattern']>[0]): string {
    return this.namespace.subject(super.normalizePattern(pattern));
  }

  /** Drain rather than close, so replies to requests already sent are still received. */
  override async close(): Promise<void> {
    const connection = this.natsClient;
    if (connection && !connection.isClosed()) await connection.drain().catch(() => undefined);
    await super.close();
  }
}

export interface RpcCallOptions<R> {
  /** Validates the reply: a reply that does not match is the responder's bug (BAD_RPC_RESPONSE_ERR). */
  response: z.ZodType<R>;
  timeoutMs?: number;
  /** What "no responders" means for this subject (DOMAIN_SEALED_ERR for an HSM domain). */
  noRespondersCode?: ErrorCode;
}

/**
 * Request/reply over NATS: carries the request id as a header, bounds the wait, and turns every
 * failure into a DomainError — the responder's own coded error, or SERVICE_UNAVAILABLE_ERR when nobody
 * answered.
 */
@Injectable()
export class RpcClient implements OnApplicationShutdown {
  private readonly proxy: NamespacedClientNats;

  constructor(
    private readonly config: ServiceConfig,
    namespace: SubjectNamespace,
    private readonly metrics: MetricsService,
  ) {
    this.proxy = new NamespacedClientNats(natsConnectionOptions(config, 'rpc-client'), namespace);
  }

  async connect(): Promise<void> {
    await this.proxy.connect();
  }

  async request<R>(subject: string, payload: unknown, options: RpcCallOptions<R>): Promise<R> {
    const headers = natsHeaders();
    const requestId = requestContext.requestId();
    if (requestId) headers.set(HEADERS.requestId, requestId);
    const record = new NatsRecordBuilder(payload).setHeaders(headers).build();
    const timeoutMs = options.timeoutMs ?? this.config.nats.rpcTimeoutMs;
    const stopTimer = this.metrics.rpcClientDuration.startTimer({ subject });
    let outcome = 'ok';
    try {
      const reply: unknown = await lastValueFrom(this.proxy.send(subject, record).pipe(timeout(timeoutMs)));
      const parsed = options.response.safeParse(reply);
      if (!parsed.success) {
        throw new DomainError('BAD_RPC_RESPONSE_ERR', undefined, { cause: new Error(`${subject}: ${parsed.error.message}`) });
      }
      return parsed.data;
    } catch (error) {
      const mapped = this.toDomainError(subject, error, timeoutMs, options.noRespondersCode);
      outcome = mapped.code;
      throw mapped;
    } finally {
      stopTimer({ outcome });
    }
  }

  private toDomainError(subject: string, error: unknown, timeoutMs: number, noRespondersCode?: ErrorCode): DomainError {
    if (error instanceof DomainError) return error;
    if (error instanceof EmptyResponseException) {
      return noRespondersCode
        ? new DomainError(noRespondersCode)
        : new DomainError('SERVICE_UNAVAILABLE_ERR', `No service is listening on ${subject}`);
    }
    if (error instanceof TimeoutError) {
      return new DomainError('SERVICE_UNAVAILABLE_ERR', `${subject} did not answer within ${timeoutMs} ms`);
    }
    const relayed = DomainError.fromWire(error);
    if (relayed) return relayed;
    return new DomainError('SERVICE_UNAVAILABLE_ERR', `${subject} could not be reached`, { cause: error });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.proxy.close();
  }
}
