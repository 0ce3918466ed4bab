import { type JetStreamManager, type NatsConnection, RetentionPolicy, StorageType, nanos } from 'nats';
import type { StreamSpec } from '@keyward/contracts';
import type { SubjectNamespace } from './subject-namespace';

/** Subjects that no stream may capture: storing requests and replies would leak them and grow without bound. */
const FORBIDDEN_CAPTURE = ['rpc.', '_INBOX.'];

export function assertStreamCapturesOnlyEvents(spec: StreamSpec): void {
  for (const subject of spec.subjects) {
    if (!subject.startsWith('events.') || FORBIDDEN_CAPTURE.some((prefix) => subject.startsWith(prefix))) {
      throw new Error(`stream ${spec.name} may only capture events.* subjects, not ${subject}`);
    }
  }
}

/**
 * Creates the publisher's streams, or updates them to the contract's settings. Idempotent: every
 * replica runs it at start.
 */
export async function ensureStreams(
  connection: NatsConnection,
  namespace: SubjectNamespace,
  specs: readonly StreamSpec[],
  storage: 'file' | 'memory',
): Promise<string[]> {
  const manager: JetStreamManager = await connection.jetstreamManager();
  const names: string[] = [];
  for (const spec of specs) {
    assertStreamCapturesOnlyEvents(spec);
    const config = {
      name: namespace.stream(spec.name),
      subjects: spec.subjects.map((subject) => namespace.subject(subject)),
      retention: RetentionPolicy.Limits,
      storage: storage === 'memory' ? StorageType.Memory : StorageType.File,
      max_age: nanos(spec.maxAgeMs),
      duplicate_window: nanos(spec.duplicateWindowMs),
    };
    try {
      await manager.streams.info(config.name);
      // Storage type cannot change on an existing stream: leave it as created.
      const { storage: _storage, ...updatable } = config;
      await manager.streams.update(config.name, updatable);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      await manager.streams.add(config);
    }
    names.push(config.name);
  }
  return names;
}

function isStreamNotFound(error: unknown): boolean {
  const apiError = (error as { api_error?: { err_code?: number } }).api_error;
  return apiError?.err_code === 10059 || /stream not found/i.test(String((error as Error).message));
}
