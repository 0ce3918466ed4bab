import { ServerNats } from '@nestjs/microservices';
import type { NatsConnection, Subscription } from 'nats';
import type { SubjectNamespace } from './subject-namespace';

type NatsOptions = ConstructorParameters<typeof ServerNats>[0];

/**
 * Nest's NATS server with two changes: it subscribes under the app's subject namespace (handlers keep
 * the contract's names), and it drains on close so in-flight requests are answered before exit.
 */
export class KeywardNatsServer extends ServerNats {
  private readonly namespacedSubscriptions: Subscription[] = [];
  private connection?: NatsConnection;

  constructor(
    options: NatsOptions,
    private readonly namespace: SubjectNamespace,
  ) {
    super(options);
    this.defaultQueue = options?.queue;
  }

  private readonly defaultQueue: string | undefined;

  override bindEvents(client: NatsConnection): void {
    this.connection = client;
    for (const [pattern, handler] of this.messageHandlers) {
      const queue = (handler.extras?.['queue'] as string | undefined) ?? this.defaultQueue;
      const subscription = client.subscribe(this.namespace.subject(pattern), {
        ...(queue ? { queue } : {}),
        callback: this.getMessageHandler(pattern).bind(this),
      });
      this.namespacedSubscriptions.push(subscription);
    }
  }

  override async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection && !connection.isClosed()) {
      // drain: stop taking new messages, finish the ones in flight, flush replies, then close.
      await connection.drain().catch(() => undefined);
    }
    await super.close();
  }
}
