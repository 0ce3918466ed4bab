import { AckPolicy, type ConsumerMessages, DeliverPolicy, type JsMsg, type NatsConnection, nanos } from 'nats';
import type { Logger } from 'pino';
import { KMS_EVENT_SUBJECTS, type KmsKeyEvent, STREAMS, kmsKeyEventSchema } from '@keyward/contracts';
import { SubjectNamespace } from '@keyward/platform';
import type { KmsClient, KmsTarget } from '../kms-client';
import { KmsClientError } from '../kms-client-error';
import { InMemoryProcessedEvents, type ProcessedEvents } from './processed-events';

export type KmsEventRegistration = KmsKeyEvent['registrations'][number];

/**
 * Handles one event for one of the consumer's registrations (idempotently: it may run again after a
 * crash). Resolves with the key version the resource uses now (default: the event's newKeyVersionId),
 * which event_ack reports.
 */
export type KmsEventHandler = (event: KmsKeyEvent, registration: KmsEventRegistration) => Promise<void | { keyVersionId?: string }>;

export type EventLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface KmsEventSubscriberOptions {
  connection: NatsConnection;
  /** Subject and stream prefix (test suites); the contracts' names when absent. */
  namespace?: SubjectNamespace;
  /** The durable consumer's name, shared by the consumer service's replicas (e.g. `app-configuration`). */
  durableName: string;
  /** Which registrations are the consumer's own (e.g. `isResourceOfService('apprapp')`). */
  ownsResource: (resourceCrn: string) => boolean;
  handler: KmsEventHandler;
  /** Acknowledges at the KMS (`POST /api/v2/event_ack`). */
  client: Pick<KmsClient, 'ackEvent'>;
  /** The KMS a registration was made at, when not the client's default (a KMS at another endpoint). */
  kmsUrlFor?: (event: KmsKeyEvent, registration: KmsEventRegistration) => string | undefined;
  /**
   * Called on EVERY replica for every event (an ordered, non-durable consumer), before or after the
   * durable handler ran on one of them: where each replica wipes its own DEK cache.
   */
  onEveryReplica?: (event: KmsKeyEvent) => void | Promise<void>;
  processed?: ProcessedEvents;
  logger?: EventLogger;
  /** JetStream ack wait (default 30 s); a longer handler keeps the message with `working()`. */
  ackWaitMs?: number;
  /**
   * Messages in flight across all replicas (default 1): events of a key are handled in order (a
   * redelivered "disabled" never lands after the "enabled" that followed it).
   */
  maxAckPending?: number;
  /** Delay before a failed event is delivered again (default 1 s doubling up to 60 s). */
  retryDelayMs?: (deliveryCount: number) => number;
  /** Wait between attempts to attach while the stream does not exist yet (default 1 s). */
  attachRetryMs?: number;
  /**
   * Deliveries of an event whose event_ack the KMS answers 401 (default 10, about 4 minutes with the
   * default delays) before it is given up like any refused acknowledgement. A grant may come back,
   * but a customer who removed their authorization must not hold every other customer's events.
   */
  unauthorizedAckDeliveries?: number;
}

/** Every CRN of the consumer's service (`crn:v1:<cloud>:public:<service>:…`), for `ownsResource`. */
export function isResourceOfService(serviceName: string): (resourceCrn: string) => boolean {
  return (resourceCrn) => {
    const parts = resourceCrn.split(':');
    return parts[0] === 'crn' && parts[4] === serviceName;
  };
}

/**
 * A consumer service's durable subscriber to the KMS's key lifecycle events (stream KMS_EVENTS,
 * `events.kms.key.>`). nats-server 2.9 filters on one subject, so every consumer reads every key
 * event and picks its own registrations from the payload. For each of them: the handler, then
 * `event_ack` at the KMS, and only when all are acknowledged the JetStream ack. A failure naks the
 * message with a growing delay (redelivery repeats only the registrations not yet acknowledged);
 * a duplicate (same eventId) is acknowledged without calling the handler again.
 */
export class KmsEventSubscriber {
  private readonly namespace: SubjectNamespace;
  private readonly processed: ProcessedEvents;
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly iterators = new Set<ConsumerMessages>();
  /** Registrations this replica handled whose event_ack failed, with the version to report. */
  private readonly handledNotAcked = new Map<string, string>();
  private readonly attached = { durable: deferred(), broadcast: deferred() };

  constructor(private readonly options: KmsEventSubscriberOptions) {
    this.namespace = options.namespace ?? new SubjectNamespace('');
    this.processed = options.processed ?? new InMemoryProcessedEvents();
  }

  get streamName(): string {
    return this.namespace.stream(STREAMS.KMS_EVENTS.name);
  }

  get filterSubject(): string {
    return this.namespace.subject(KMS_EVENT_SUBJECTS.allKeys);
  }

  /** Starts in the background (the KMS may not have created its stream yet); see `ready()`. */
  start(): void {
    if (this.loops.length > 0) return;
    this.loops.push(this.runDurable());
    if (this.options.onEveryReplica) this.loops.push(this.runBroadcast());
  }

  /** Resolves once the durable consumer (and the per-replica one, if any) is attached. */
  async ready(): Promise<void> {
    await this.attached.durable.promise;
    if (this.options.onEveryReplica) await this.attached.broadcast.promise;
  }

  /**
   * Lets an event being handled finish (and be acknowledged), hands nothing more to the handler, and
   * resolves once both loops have ended. Messages already pulled but not handled are nak'ed, so they
   * go to the next subscriber at once.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const iterator of this.iterators) closeIterator(iterator);
    this.wakeRetry?.();
    await Promise.all(this.loops);
    this.loops.length = 0;
  }

  private async runDurable(): Promise<void> {
    await this.attachLoop('durable', async () => {
      await this.ensureDurableConsumer();
      const consumer = await this.options.connection.jetstream().consumers.get(this.streamName, this.options.durableName);
      const messages = await consumer.consume({ max_messages: 16 });
      this.attached.durable.resolve();
      return messages;
    }, (msg) => this.handleMessage(msg));
  }

  private async runBroadcast(): Promise<void> {
    await this.attachLoop('broadcast', async () => {
      const consumer = await this.options.connection.jetstream().consumers.get(this.streamName, { filterSubjects: this.filterSubject, deliver_policy: DeliverPolicy.New });
      const messages = await consumer.consume({ max_messages: 64 });
      this.attached.broadcast.resolve();
      return messages;
    }, async (msg) => {
      const event = this.parse(msg);
      if (!event) return;
      try {
        await this.options.onEveryReplica?.(event);
      } catch (error) {
        this.log().warn({ eventId: event.eventId, err: errorSummary(error) }, 'KMS event: the per-replica callback failed');
      }
    });
  }

  /** Attaches (again after a failure) until stopped, handing each message to `handle` in order. */
  private async attachLoop(kind: string, attach: () => Promise<ConsumerMessages>, handle: (msg: JsMsg) => Promise<void>): Promise<void> {
    let warned = false;
    while (!this.stopped) {
      let messages: ConsumerMessages | undefined;
      try {
        messages = await attach();
        this.iterators.add(messages);
        // stop() ran while attaching, before this iterator was known to it.
        if (this.stopped) closeIterator(messages);
        warned = false;
        // Never leave this loop with `break` (see closeIterator): after close() it ends by itself
        // once the messages pulled before the close are passed, which are not handled any more.
        for await (const msg of messages) {
          // (The per-replica consumer acknowledges nothing: only the durable one's messages are nak'ed.)
          if (!this.stopped) await handle(msg);
          else if (kind === 'durable') msg.nak();
        }
      } catch (error) {
        if (this.stopped) break;
        if (!warned) this.log().warn({ stream: this.streamName, consumer: kind, err: errorSummary(error) }, 'KMS events: cannot attach to the stream (the KMS may not have created it yet); retrying');
        warned = true;
      } finally {
        if (messages) {
          this.iterators.delete(messages);
          closeIterator(messages);
        }
      }
      if (!this.stopped) await this.retryDelay(this.options.attachRetryMs ?? 1000);
    }
  }

  private wakeRetry?: () => void;

  /** The wait before attaching again, cut short by stop(). */
  private retryDelay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeRetry = done;
    });
  }

  /** Creates the durable consumer, or brings an existing one to these settings (every replica does this at start). */
  private async ensureDurableConsumer(): Promise<void> {
    const manager = await this.options.connection.jetstreamManager();
    const settings = {
      ack_wait: nanos(this.options.ackWaitMs ?? 30_000),
      max_ack_pending: this.options.maxAckPending ?? 1,
    };
    try {
      await manager.consumers.info(this.streamName, this.options.durableName);
      await manager.consumers.update(this.streamName, this.options.durableName, settings);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await manager.consumers.add(this.streamName, {
        durable_name: this.options.durableName,
        ack_policy: AckPolicy.Explicit,
        // Events retained while the consumer service was away (or before it first started) still arrive.
        deliver_policy: DeliverPolicy.All,
        filter_subject: this.filterSubject,
        ...settings,
      });
    }
  }

  private async handleMessage(msg: JsMsg): Promise<void> {
    const event = this.parse(msg);
    if (!event) {
      // A message that is not an event will never become one: drop it rather than block the stream.
      // (No reason text: nats-server 2.9 does not read `+TERM <reason>` as a termination.)
      msg.term();
      return;
    }
    if (await this.processed.has(event.eventId)) {
      this.log().debug({ eventId: event.eventId }, 'KMS event already handled: acknowledged again');
      await msg.ackAck();
      return;
    }
    const keepAlive = setInterval(() => msg.working(), Math.max(1000, (this.options.ackWaitMs ?? 30_000) / 2));
    try {
      for (const registration of event.registrations.filter((r) => this.options.ownsResource(r.resourceCrn))) {
        await this.handleRegistration(event, registration, msg.info.deliveryCount);
      }
      await this.processed.add(event.eventId);
      await msg.ackAck();
    } catch (error) {
      const deliveryCount = msg.info.deliveryCount;
      const delayMs = (this.options.retryDelayMs ?? defaultRetryDelay)(deliveryCount);
      const log = { eventId: event.eventId, eventType: event.eventType, keyId: event.keyId, deliveryCount, retryInMs: delayMs, err: errorSummary(error) };
      if (deliveryCount >= 10) this.log().error(log, 'KMS event still failing: will be delivered again');
      else this.log().warn(log, 'KMS event failed: will be delivered again');
      msg.nak(delayMs);
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async handleRegistration(event: KmsKeyEvent, registration: KmsEventRegistration, deliveryCount: number): Promise<void> {
    const progressId = `${event.eventId} ${registration.resourceCrn}`;
    if (await this.processed.has(progressId)) return;
    // Handled before but not acknowledged (the KMS was away): acknowledge without handling again.
    let keyVersionId = this.handledNotAcked.get(progressId);
    if (keyVersionId === undefined) {
      const outcome = await this.options.handler(event, registration);
      keyVersionId = (outcome && outcome.keyVersionId) || event.newKeyVersionId;
      this.remember(progressId, keyVersionId);
    }
    const kmsUrl = this.options.kmsUrlFor?.(event, registration);
    const target: KmsTarget = { instanceId: event.instanceId, ...(kmsUrl ? { kmsUrl } : {}) };
    try {
      await this.options.client.ackEvent(target, { eventId: event.eventId, resourceCrn: registration.resourceCrn, keyVersionId });
    } catch (error) {
      if (!(error instanceof KmsClientError)) throw error;
      const context = { eventId: event.eventId, resourceCrn: registration.resourceCrn, keyVersionId, code: error.code, status: error.status };
      if (NOTHING_LEFT_TO_ACK.has(error.status)) {
        // 408: the KMS stopped waiting (acknowledgement window passed); 404: it expects no ack from this resource.
        this.log().warn(context, 'KMS event: the KMS no longer expects this acknowledgement');
      } else if (REFUSED_FOR_GOOD.has(error.status) || (error.status === 401 && deliveryCount >= (this.options.unauthorizedAckDeliveries ?? 10))) {
        // The same ack would be refused again: retrying would hold every later event (strict order).
        // The KMS keeps listing the event as unacknowledged, so the operator sees it (and can `sync`).
        this.log().error({ ...context, deliveryCount, message: error.message }, 'KMS event: the KMS refused the acknowledgement; not retried');
      } else {
        throw error;
      }
    }
    await this.processed.add(progressId);
    this.handledNotAcked.delete(progressId);
    this.log().info({ eventId: event.eventId, eventType: event.eventType, keyId: event.keyId, resourceCrn: registration.resourceCrn, keyVersionId }, 'KMS event handled and acknowledged');
  }

  private remember(progressId: string, keyVersionId: string): void {
    this.handledNotAcked.set(progressId, keyVersionId);
    if (this.handledNotAcked.size > 1000) {
      const oldest = this.handledNotAcked.keys().next().value;
      if (oldest !== undefined) this.handledNotAcked.delete(oldest);
    }
  }

  private parse(msg: JsMsg): KmsKeyEvent | undefined {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(msg.data));
    } catch {
      json = undefined;
    }
    const parsed = kmsKeyEventSchema.safeParse(json);
    if (parsed.success) return parsed.data;
    this.log().error({ subject: msg.subject, streamSequence: msg.seq }, 'KMS event does not match the event contract: dropped');
    return undefined;
  }

  private log(): EventLogger {
    return this.options.logger ?? SILENT;
  }
}

const NOTHING_LEFT_TO_ACK = new Set([404, 408]);
/** Bad body, a resource the token may not act for, a version the KMS does not accept: no retry helps. 401 is retried for a while (a grant may come back). */
const REFUSED_FOR_GOOD = new Set([400, 403, 409, 422]);

function defaultRetryDelay(deliveryCount: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, deliveryCount - 1));
}

function isNotFound(error: unknown): boolean {
  const apiError = (error as { api_error?: { err_code?: number; code?: number } }).api_error;
  return apiError?.code === 404 || /not found/i.test(String((error as Error).message));
}

/** Code and message only: never a request body or a DEK. */
function errorSummary(error: unknown): { code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { ...(typeof code === 'string' ? { code } : {}), message: error.message };
  }
  return { message: String(error) };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * Closes a `consume()` iterator without waiting for it. In nats.js 2.x a pull consumer's close() only
 * queues its own end behind the messages already buffered, and the promise it returns settles when the
 * `for await` loop reaches that point. A loop that has already left (break, throw) or never started
 * never does, so awaiting close() there hangs for good: stop() hung whenever it came while an event was
 * being handled or while the subscriber was attaching. The subscription itself is dropped at once.
 */
function closeIterator(messages: ConsumerMessages): void {
  messages.close().catch(() => undefined);
}

const noop = () => undefined;
const SILENT: EventLogger = { debug: noop, info: noop, warn: noop, error: noop } as unknown as EventLogger;
