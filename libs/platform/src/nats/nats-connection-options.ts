import type { ConnectionOptions } from 'nats';
import { natsInboxPrefix } from '@keyward/contracts';
import type { ServiceConfig } from '../config/service-config';

/** Options for every NATS connection an app opens: named, authenticated, reconnecting forever. */
export function natsConnectionOptions(config: ServiceConfig, role: string): ConnectionOptions {
  const tls = config.nats.tls;
  return {
    servers: config.nats.servers,
    name: `${config.app}/${config.replicaId}/${role}`,
    ...(config.nats.user ? { user: config.nats.user, pass: config.nats.password } : {}),
    // Replies come back under the app's own inbox prefix, the only `_INBOX` subjects its NATS user may
    // read (see the generated permissions): no other service can listen in on them.
    inboxPrefix: natsInboxPrefix(config.app),
    ...(tls ? { tls: { ...(tls.caFile ? { caFile: tls.caFile } : {}), ...(tls.certFile ? { certFile: tls.certFile, keyFile: tls.keyFile } : {}) } } : {}),
    // Fail the first connection quickly (the start command checks NATS first), then reconnect forever:
    // while NATS is away, /health reports it and requests fail with SERVICE_UNAVAILABLE_ERR.
    timeout: 5000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  };
}
