import { AckPolicy, type ConsumerMessages, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { STREAMS, type ServiceInstance, serviceInstanceSchema } from '@keyward/contracts';
import type { SubjectNamespace } from '@keyward/platform';

/** The durable consumer's name, shared by App Configuration's replicas. */
export const INSTANCE_EVENTS_DURABLE = 'app-configuration-instances';
const RETRY_MS = 1000;

/**
 * IAM's instance events (`events.iam.instance.>` in stream IAM_EVENTS) through a durable JetStream
 * consumer, so a deletion that happens while App Configuration is down is still handled when it comes
 * back, and the NATS permissions a consumer app has (JetStream reader API) suffice. One replica
 * handles each event; a failure naks it for a later retry.
 */
export class IamInstanceEvents {
  private stopped = false;
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;

  constructor(
    private readonly options: {
      connection: NatsConnection;
      namespace: SubjectNamespace;
      logger: Pick<Logger, 'warn'>;
      handle: (instance: ServiceInstance, kind: 'created' | 'deleted') => Promise<void>;
    },
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    const stream = this.options.namespace.stream(STREAMS.IAM_EVENTS.name);
    let warned = false;
    while (!this.stopped) {
      try {
        const manager = await this.options.connection.jetstreamManager();
        try {
          await manager.consumers.info(stream, INSTANCE_EVENTS_DURABLE);
        } catch {
          await manager.consumers.add(stream, {
            durable_name: INSTANCE_EVENTS_DURABLE,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            filter_subject: this.options.namespace.subject('events.iam.instance.>'),
          });
        }
        const consumer = await this.options.connection.jetstream().consumers.get(stream, INSTANCE_EVENTS_DURABLE);
        this.messages = await consumer.consume({ max_messages: 16 });
        if (this.stopped) break;
        warned = false;
        for await (const msg of this.messages) await this.handle(msg);
      } catch (error) {
        if (this.stopped) break;
        if (!warned) this.options.logger.warn({ stream, err: (error as Error).message }, 'IAM instance events: cannot attach (IAM may not have created its stream yet); retrying');
        warned = true;
      }
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  private async handle(msg: JsMsg): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(msg.data));
    } catch {
      body = undefined;
    }
    const parsed = serviceInstanceSchema.safeParse(body);
    if (!parsed.success) {
      msg.term();
      return;
    }
    try {
      await this.options.handle(parsed.data, msg.subject.endsWith('.deleted.v1') ? 'deleted' : 'created');
      msg.ack();
    } catch (error) {
      this.options.logger.warn({ instance: parsed.data.guid, err: (error as Error).message }, 'IAM instance event not handled; retried');
      msg.nak(5000);
    }
  }
}
