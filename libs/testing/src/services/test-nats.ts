import { randomBytes } from 'node:crypto';
import { type NatsConnection, connect } from 'nats';
import { readTestEnvironment } from './test-environment';

/** A subject prefix no other suite uses (see SubjectNamespace). */
export function createNatsPrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export async function connectTestNats(): Promise<NatsConnection> {
  return connect({ servers: readTestEnvironment().natsUrl, name: 'keyward-test' });
}

/** Removes the JetStream streams a suite's apps created under its prefix. */
export async function deleteStreamsWithPrefix(prefix: string): Promise<void> {
  const connection = await connectTestNats();
  try {
    const manager = await connection.jetstreamManager();
    const streamPrefix = `${prefix.replace(/-/g, '_')}_`;
    for await (const stream of manager.streams.list()) {
      if (stream.config.name.startsWith(streamPrefix)) await manager.streams.delete(stream.config.name);
    }
  } finally {
    await connection.close();
  }
}
