import type { ConnectionOptions } from 'nats';
import type { ServiceConfig } from '../config/service-config';

/** Options for every NATS connection an app opens: named, authenticated, reconnecting forever. */
export function natsConnectionOptions(config: ServiceConfig, role: string): ConnectionOptions {
  return {
    servers: config.nats.servers,
    name: `${config.app}/${config.replicaId}/${role}`,
    ...(config.nats.user ? { user: config.nats.user, pass: config.nats.password } : {}),
    // Fail the first connection quickly (the start command checks NATS first), then reconnect forever:
    // while NATS is away, /health reports it and requests fail with SERVICE_UNAVAILABLE_ERR.
    timeout: 5000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  };
}
