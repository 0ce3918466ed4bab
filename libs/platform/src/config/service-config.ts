import { z } from 'zod';
import { type KeywardAppName, KEYWARD_APPS, defaultDatabaseUrl } from '@keyward/contracts';
import { randomUUID } from 'node:crypto';
import { envFields } from './env-fields';
import { ConfigError } from './config-error';
import { type Env, parseEnv } from './load-config';

/** What every Keyward app reads from its environment (DESIGN.md "Runtime"). */
export interface ServiceConfig {
  app: KeywardAppName;
  /** Identifies this replica in logs, health and HSM broadcast replies. */
  replicaId: string;
  http: { host: string; port: number };
  logLevel: z.infer<ReturnType<typeof envFields.logLevel>>;
  nats: {
    servers: string[];
    user?: string;
    password?: string;
    /** Prefix of every subject this app uses (`<prefix>.rpc...`), empty outside tests. */
    prefix: string;
    /** Where JetStream keeps this app's streams: file in production, memory for test suites. */
    streamStorage: 'file' | 'memory';
    /** How long an RPC call waits for its reply. */
    rpcTimeoutMs: number;
  };
  databaseUrl: string;
}

export function serviceEnvSchema(app: KeywardAppName) {
  const prefix = KEYWARD_APPS[app].envPrefix;
  return z.object({
    [`${prefix}_HOST`]: z.string().min(1).default('127.0.0.1'),
    [`${prefix}_PORT`]: envFields.port(KEYWARD_APPS[app].port),
    KEYWARD_REPLICA_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ . -').optional(),
    LOG_LEVEL: envFields.logLevel(),
    NATS_URL: envFields.url(['nats', 'tls', 'ws', 'wss'], 'nats://127.0.0.1:4222'),
    NATS_USER: z.string().min(1).optional(),
    NATS_PASSWORD: z.string().min(1).optional(),
    KEYWARD_NATS_PREFIX: envFields.natsPrefix(),
    KEYWARD_NATS_STREAM_STORAGE: z.enum(['file', 'memory']).default('file'),
    KEYWARD_RPC_TIMEOUT_MS: envFields.positiveInt(5000),
    DATABASE_URL: envFields.url(['postgres', 'postgresql'], defaultDatabaseUrl(app)),
  });
}

/**
 * Parses the common variables of `app` plus the app's own (`extra`), so one call reports every
 * problem at once. Returns the common part shaped as ServiceConfig and the app's part as parsed.
 */
export function loadServiceConfig<E extends z.ZodRawShape>(
  app: KeywardAppName,
  env: Env,
  extra: E,
): { service: ServiceConfig; own: z.output<z.ZodObject<E>> } {
  const common = serviceEnvSchema(app);
  const parsed = parseEnv(app, common.extend(extra), env) as Record<string, unknown>;
  const prefix = KEYWARD_APPS[app].envPrefix;
  const natsUser = parsed['NATS_USER'] as string | undefined;
  const natsPassword = parsed['NATS_PASSWORD'] as string | undefined;
  if (Boolean(natsUser) !== Boolean(natsPassword)) {
    throw new ConfigError(app, [
      { variable: natsUser ? 'NATS_PASSWORD' : 'NATS_USER', problem: 'must be set together with NATS_USER / NATS_PASSWORD' },
    ]);
  }
  const service: ServiceConfig = {
    app,
    replicaId: (parsed['KEYWARD_REPLICA_ID'] as string | undefined) ?? `${app}-${randomUUID().slice(0, 8)}`,
    http: { host: parsed[`${prefix}_HOST`] as string, port: parsed[`${prefix}_PORT`] as number },
    logLevel: parsed['LOG_LEVEL'] as ServiceConfig['logLevel'],
    nats: {
      servers: (parsed['NATS_URL'] as string).split(',').map((s) => s.trim()),
      ...(natsUser ? { user: natsUser, password: natsPassword } : {}),
      prefix: parsed['KEYWARD_NATS_PREFIX'] as string,
      streamStorage: parsed['KEYWARD_NATS_STREAM_STORAGE'] as 'file' | 'memory',
      rpcTimeoutMs: parsed['KEYWARD_RPC_TIMEOUT_MS'] as number,
    },
    databaseUrl: parsed['DATABASE_URL'] as string,
  };
  return { service, own: parsed as z.output<z.ZodObject<E>> };
}
