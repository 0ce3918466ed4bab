import type { DependencyCheck } from '@keyward/contracts';
import type { NatsConnectionHolder } from '../nats/nats-connection';
import type { HealthCheck } from './health.registry';

/** NATS is up when a flush (a PING/PONG round trip to the server) completes. */
export function natsHealthCheck(nats: NatsConnectionHolder): HealthCheck {
  return {
    name: 'nats',
    critical: true,
    async check(): Promise<DependencyCheck> {
      const connection = nats.get();
      if (connection.isClosed()) return { status: 'down', detail: 'connection closed' };
      await connection.flush();
      return { status: 'ok' };
    },
  };
}
