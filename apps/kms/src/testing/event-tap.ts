import { type JetStreamSubscription, type NatsConnection, connect, consumerOpts } from 'nats';
import { HEADERS, KMS_EVENT_SUBJECTS, type KmsKeyEvent } from '@keyward/contracts';
import { SubjectNamespace } from '@keyward/platform';

export interface TappedEvent {
  subject: string;
  msgId: string | undefined;
  event: KmsKeyEvent;
}

/** A test's JetStream consumer of every KMS key event of the suite (ordered, from the stream's start). */
export interface EventTap {
  messages: TappedEvent[];
  /** The events of one key, in stream order. */
  of(keyId: string): TappedEvent[];
  close(): Promise<void>;
}

export async function tapKeyEvents(natsUrl: string, prefix: string): Promise<EventTap> {
  const namespace = new SubjectNamespace(prefix);
  const connection: NatsConnection = await connect({ servers: natsUrl });
  const messages: TappedEvent[] = [];
  const options = consumerOpts();
  // A push ordered consumer: nats-server 2.9 has no multi-filter consumer API (what `consumers.get` uses).
  options.orderedConsumer();
  options.callback((error, message) => {
    if (error || !message) return;
    messages.push({ subject: message.subject, msgId: message.headers?.get(HEADERS.natsMsgId), event: message.json<KmsKeyEvent>() });
  });
  const subscription: JetStreamSubscription = await connection.jetstream().subscribe(namespace.subject(KMS_EVENT_SUBJECTS.allKeys), options);
  return {
    messages,
    of: (keyId) => messages.filter((m) => m.event.keyId === keyId),
    close: async () => {
      subscription.unsubscribe();
      await connection.drain();
    },
  };
}
