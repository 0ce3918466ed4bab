import { type Msg, type NatsConnection, type Subscription, JSONCodec } from 'nats';
import type { Logger } from 'pino';
import {
  DomainError,
  HEADERS,
  HSM_DOMAINS_ANY_REPLICA_OPS,
  HSM_DOMAINS_EVERY_REPLICA_OPS,
  HSM_DOMAINS_OP_REQUESTS,
  HSM_DOMAIN_OPS,
  HSM_DOMAIN_OP_REQUESTS,
  HSM_QUEUE,
  HSM_SUBJECTS,
  type HsmDomainOp,
  type HsmDomainsOp,
} from '@keyward/contracts';
import { type MetricsService, type SubjectNamespace, acceptOrCreateRequestId, parsePayload, requestContext, toDomainError } from '@keyward/platform';
import type { DomainActivationListener, DomainService } from '../domains/domain.service';
import type { KeyOperations } from '../keys/key-operations.service';
import { reportError } from '@keyward/platform';

const codec = JSONCodec();

/**
 * The HSM's NATS edge, on the `nats` client directly (DESIGN.md: Nest cannot subscribe per domain
 * while unsealed, nor answer request-many): `rpc.hsm.domains.*` always, and
 * `rpc.hsm.d.<domainId>.>` in queue group `hsm.<domainId>` only while this replica holds the domain
 * unsealed. It speaks Nest's NATS envelope (`{id, data}` in, `{id, response | err, isDisposed}` out)
 * so the KMS calls it with the platform RpcClient like any other service.
 */
export class HsmRpcRouter implements DomainActivationListener {
  private readonly fixed: Subscription[] = [];
  private readonly perDomain = new Map<string, Subscription>();
  private readonly inFlight = new Map<string, Set<Promise<void>>>();

  constructor(
    private readonly connection: NatsConnection,
    private readonly namespace: SubjectNamespace,
    private readonly domains: DomainService,
    private readonly keys: KeyOperations,
    private readonly metrics: MetricsService,
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const op of HSM_DOMAINS_ANY_REPLICA_OPS) this.subscribeDomainsOp(op, HSM_QUEUE);
    // No queue group: every replica gets these and answers with its own progress.
    for (const op of HSM_DOMAINS_EVERY_REPLICA_OPS) this.subscribeDomainsOp(op, undefined);
  }

  async activated(domainId: string): Promise<void> {
    if (this.perDomain.has(domainId)) return;
    const prefix = this.namespace.subject(`rpc.hsm.d.${domainId}.`);
    const subscription = this.connection.subscribe(this.namespace.subject(HSM_SUBJECTS.domainWildcard(domainId)), {
      queue: HSM_SUBJECTS.domainQueue(domainId),
      callback: (error, message) => {
        if (error) return;
        const op = message.subject.startsWith(prefix) && message.subject.endsWith('.v1') ? message.subject.slice(prefix.length, -3) : '';
        this.track(domainId, this.handle(message, `rpc.hsm.d.*.${op}.v1`, (data) => this.runDomainOp(domainId, op, data)));
      },
    });
    this.perDomain.set(domainId, subscription);
    // Make sure the server has the interest before anyone is told the domain is active.
    await this.connection.flush();
    this.logger.info({ domainId }, 'serving domain');
  }

  /** Stops taking the domain's requests and waits for those in flight before its key is zeroized. */
  async deactivated(domainId: string): Promise<void> {
    const subscription = this.perDomain.get(domainId);
    this.perDomain.delete(domainId);
    if (subscription) {
      subscription.unsubscribe();
      await this.connection.flush().catch(() => undefined);
    }
    await Promise.allSettled([...(this.inFlight.get(domainId) ?? [])]);
    this.logger.info({ domainId }, 'no longer serving domain');
  }

  async stop(): Promise<void> {
    for (const subscription of this.fixed) subscription.unsubscribe();
    this.fixed.length = 0;
    for (const domainId of [...this.perDomain.keys()]) await this.deactivated(domainId);
  }

  private subscribeDomainsOp(op: HsmDomainsOp, queue: string | undefined): void {
    const subject = HSM_SUBJECTS.domains(op);
    this.fixed.push(
      this.connection.subscribe(this.namespace.subject(subject), {
        ...(queue ? { queue } : {}),
        callback: (error, message) => {
          if (error) return;
          this.track('', this.handle(message, subject, (data) => this.runDomainsOp(op, data)));
        },
      }),
    );
  }

  private async runDomainsOp(op: HsmDomainsOp, data: unknown): Promise<unknown> {
    switch (op) {
      case 'create': {
        const request = parsePayload(HSM_DOMAINS_OP_REQUESTS.create, data);
        return this.domains.create(request.domainId);
      }
      case 'status':
        return this.domains.status(parsePayload(HSM_DOMAINS_OP_REQUESTS.status, data).domainId);
      case 'ceremony-init':
        return this.domains.ceremonyInit(parsePayload(HSM_DOMAINS_OP_REQUESTS['ceremony-init'], data));
      case 'unseal': {
        const request = parsePayload(HSM_DOMAINS_OP_REQUESTS.unseal, data);
        return this.domains.unseal(request.domainId, request.encryptedPart);
      }
      case 'seal':
        return this.domains.seal(parsePayload(HSM_DOMAINS_OP_REQUESTS.seal, data).domainId);
      case 'rotate-master-key': {
        const request = parsePayload(HSM_DOMAINS_OP_REQUESTS['rotate-master-key'], data);
        return this.domains.submitRotationPart(request.domainId, request.encryptedPart);
      }
    }
  }

  private async runDomainOp(domainId: string, op: string, data: unknown): Promise<unknown> {
    if (!(HSM_DOMAIN_OPS as readonly string[]).includes(op)) throw new DomainError('NOT_FOUND_ERR', 'No such HSM operation');
    const schemaOp = op as HsmDomainOp;
    switch (schemaOp) {
      case 'key.generate':
        return this.keys.generate(domainId, parsePayload(HSM_DOMAIN_OP_REQUESTS['key.generate'], data));
      case 'key.import':
        return this.keys.import(domainId, parsePayload(HSM_DOMAIN_OP_REQUESTS['key.import'], data));
      case 'key.rotate':
        return this.keys.rotate(domainId, parsePayload(HSM_DOMAIN_OP_REQUESTS['key.rotate'], data));
      case 'key.set-state': {
        const request = parsePayload(HSM_DOMAIN_OP_REQUESTS['key.set-state'], data);
        return this.keys.setState(domainId, request.keyId, request.state);
      }
      case 'key.destroy':
        return this.keys.destroy(domainId, parsePayload(HSM_DOMAIN_OP_REQUESTS['key.destroy'], data).keyId);
      case 'key.export': {
        const request = parsePayload(HSM_DOMAIN_OP_REQUESTS['key.export'], data);
        return this.keys.export(domainId, request.keyId, request.version);
      }
      case 'wrap':
        return this.keys.wrap(domainId, parsePayload(HSM_DOMAIN_OP_REQUESTS.wrap, data, 'INVALID_FIELD_ERR'));
      case 'unwrap':
        return this.keys.unwrap(domainId, parsePayload(HSM_DOMAIN_OP_REQUESTS.unwrap, data, 'INVALID_FIELD_ERR'));
      case 'rewrap':
        return this.keys.rewrap(domainId, parsePayload(HSM_DOMAIN_OP_REQUESTS.rewrap, data, 'INVALID_FIELD_ERR'));
      case 'wrap.batch':
        return this.keys.wrapBatch(domainId, parsePayload(HSM_DOMAIN_OP_REQUESTS['wrap.batch'], data).items);
      case 'unwrap.batch':
        return this.keys.unwrapBatch(domainId, parsePayload(HSM_DOMAIN_OP_REQUESTS['unwrap.batch'], data).items);
      case 'import-keypair.create':
        parsePayload(HSM_DOMAIN_OP_REQUESTS['import-keypair.create'], data ?? {});
        return this.keys.createImportKeyPair(domainId);
    }
  }

  private decode(message: Msg): { id?: unknown; data?: unknown } {
    try {
      const decoded = codec.decode(message.data);
      return typeof decoded === 'object' && decoded !== null ? (decoded as { id?: unknown; data?: unknown }) : {};
    } catch {
      throw new DomainError('BAD_BODY_ERR', 'The request is not JSON');
    }
  }

  /** One request: its own request context, a metric, the reply in Nest's envelope, errors mapped once. */
  private async handle(message: Msg, metricSubject: string, run: (data: unknown) => Promise<unknown>): Promise<void> {
    const requestId = acceptOrCreateRequestId(message.headers?.get(HEADERS.requestId));
    await requestContext.run({ requestId }, async () => {
      const stopTimer = this.metrics.rpcServerDuration.startTimer({ subject: metricSubject });
      let id: unknown;
      let outcome: 'ok' | 'error' = 'ok';
      try {
        const envelope = this.decode(message);
        id = envelope.id;
        const response = await run(envelope.data);
        this.reply(message, { id, response, isDisposed: true });
      } catch (error) {
        outcome = 'error';
        const mapped = toDomainError(error);
        const errorId = reportError(this.logger, mapped, metricSubject);
        this.reply(message, { id, err: { ...mapped.toWire(), ...(errorId ? { errorId } : {}) }, isDisposed: true });
      } finally {
        stopTimer({ outcome });
      }
    });
  }

  private reply(message: Msg, packet: Record<string, unknown>): void {
    if (!message.reply) return;
    try {
      let encoded = codec.encode(packet);
      // A batch reply larger than NATS allows would never arrive: say so, so the caller splits it.
      const maxPayload = this.connection.info?.max_payload ?? Number.POSITIVE_INFINITY;
      if (encoded.length > maxPayload) {
        const error = new DomainError('PAYLOAD_TOO_LARGE_ERR', 'The reply would exceed the NATS message limit: send smaller batches');
        encoded = codec.encode({ id: packet['id'], err: error.toWire(), isDisposed: true });
      }
      message.respond(encoded);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not send an HSM reply');
    }
  }

  private track(domainId: string, promise: Promise<void>): void {
    const set = this.inFlight.get(domainId) ?? new Set<Promise<void>>();
    this.inFlight.set(domainId, set);
    set.add(promise);
    void promise.finally(() => set.delete(promise));
  }
}
