import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { KMS_EVENT_SUBJECTS, type KmsKeyEventType } from '@keyward/contracts';
import { LOGGER, NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';
import { Clock } from '../common/clock';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { KeyEventsRepository, type OutboxMessage } from './key-events.repository';

const BATCH = 100;
/** Published outbox rows are kept this long (far beyond JetStream's de-duplication window), then pruned. */
const KEEP_PUBLISHED_MS = 24 * 60 * 60 * 1000;
/** Pruning runs every this many passes of a replica. */
const PRUNE_EVERY = 200;

/**
 * Publishes the outbox on JetStream (`events.kms.key.<type>.v1`, Nats-Msg-Id = the row id, which is
 * the eventId for the first publication) at least once. Every replica polls every
 * KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS; rows are taken with `FOR UPDATE SKIP LOCKED`, so replicas
 * share the work, and marked only after JetStream's ack: a crash in between publishes again, and
 * the stream's de-duplication window drops the copy.
 */
@Injectable()
export class EventRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;
  private passes = 0;

  constructor(
    private readonly events: KeyEventsRepository,
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), this.settings.events.relayIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Publishes until the outbox is empty (or a publish fails); resolves with how many were published. */
  runOnce(): Promise<number> {
    this.running ??= this.drain()
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'event relay pass failed; the next one retries');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async drain(): Promise<number> {
    if (++this.passes % PRUNE_EVERY === 0) await this.events.prunePublished(new Date(this.clock.now().getTime() - KEEP_PUBLISHED_MS));
    let total = 0;
    while (!this.stopped) {
      const published = await this.events.relayBatch(BATCH, (messages) => this.publish(messages), () => this.clock.now());
      total += published;
      if (published < BATCH) break;
    }
    return total;
  }

  /** Publishes in order (msgID sets the Nats-Msg-Id header); stops at the first failure and reports the ids JetStream acknowledged. */
  private async publish(messages: OutboxMessage[]): Promise<string[]> {
    const jetstream = this.nats.get().jetstream();
    const done: string[] = [];
    for (const message of messages) {
      const type = message.eventType as KmsKeyEventType;
      try {
        await jetstream.publish(this.namespace.subject(KMS_EVENT_SUBJECTS.key(type)), JSON.stringify(message.payload), { msgID: message.id });
      } catch (error) {
        this.logger.warn({ err: error, eventId: message.payload.eventId, keyId: message.payload.keyId }, 'event not published yet; will retry');
        break;
      }
      done.push(message.id);
    }
    if (done.length) this.logger.debug({ published: done.length }, 'key events published');
    return done;
  }
}
