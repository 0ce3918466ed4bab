import type { KeywardAppName } from './services';

/**
 * JetStream streams, each created (or updated) by its publisher at start. Streams capture only
 * `events.` subjects: a stream over `rpc.>` or `_INBOX.>` would store every request and reply.
 */
export interface StreamSpec {
  name: string;
  subjects: string[];
  publisher: KeywardAppName;
  /** How long events are kept for consumers that were down. */
  maxAgeMs: number;
  /** JetStream de-duplication window for Nats-Msg-Id (the outbox may publish an event twice). */
  duplicateWindowMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const STREAMS = {
  IAM_EVENTS: {
    name: 'IAM_EVENTS',
    subjects: ['events.iam.>'],
    publisher: 'iam',
    maxAgeMs: 7 * DAY_MS,
    duplicateWindowMs: 2 * 60 * 1000,
  },
  KMS_EVENTS: {
    name: 'KMS_EVENTS',
    subjects: ['events.kms.>'],
    publisher: 'kms',
    maxAgeMs: 7 * DAY_MS,
    duplicateWindowMs: 2 * 60 * 1000,
  },
} as const satisfies Record<string, StreamSpec>;

export type StreamName = keyof typeof STREAMS;
