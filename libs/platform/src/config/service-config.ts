import { z } from 'zod';
import { type KeywardAppName, KEYWARD_APPS, appTlsEnvNames, defaultDatabaseUrl } from '@keyward/contracts';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { envFields } from './env-fields';
import { ConfigError } from './config-error';
import { EnvNamesReport, describeEnvSchema, envNamesRequested } from './env-names';
import { type Env, parseEnv } from './load-config';

/** What every Keyward app reads from its environment (DESIGN.md "Runtime"). */
export interface ServiceConfig {
  app: KeywardAppName;
  /** Identifies this replica in logs, health and HSM broadcast replies. */
  replicaId: string;
  http: {
    host: string;
    port: number;
    /** PEM files of the HTTPS listener; absent = plain HTTP (allowed on loopback, or when asked for). */
    tls?: { certFile: string; keyFile: string };
  };
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
    /** TLS to the NATS servers: a CA to trust, and a client certificate when the server asks for one. */
    tls?: { caFile?: string; certFile?: string; keyFile?: string };
  };
  databaseUrl: string;
}

const pemFile = () => z.string().min(1).refine((path) => existsSync(path), { message: 'names a file that does not exist' }).optional();

export function serviceEnvSchema(app: KeywardAppName) {
  const prefix = KEYWARD_APPS[app].envPrefix;
  const tls = appTlsEnvNames(app);
  return z.object({
    [`${prefix}_HOST`]: z.string().min(1).default('127.0.0.1'),
    [`${prefix}_PORT`]: envFields.port(KEYWARD_APPS[app].port),
    [tls.cert]: pemFile(),
    [tls.key]: pemFile(),
    KEYWARD_ALLOW_PLAINTEXT_HTTP: envFields.boolean(false),
    KEYWARD_REPLICA_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ . -').optional(),
    LOG_LEVEL: envFields.logLevel(),
    NATS_URL: envFields.url(['nats', 'tls', 'ws', 'wss'], 'nats://127.0.0.1:4222'),
    NATS_USER: z.string().min(1).optional(),
    NATS_PASSWORD: z.string().min(1).optional(),
    NATS_TLS_CA_FILE: pemFile(),
    NATS_TLS_CERT_FILE: pemFile(),
    NATS_TLS_KEY_FILE: pemFile(),
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
  const schema = serviceEnvSchema(app).extend(extra);
  if (envNamesRequested()) throw new EnvNamesReport(app, describeEnvSchema(schema));
  const parsed = parseEnv(app, schema, env) as Record<string, unknown>;
  const prefix = KEYWARD_APPS[app].envPrefix;
  const tlsNames = appTlsEnvNames(app);
  const str = (name: string) => parsed[name] as string | undefined;
  const problems = [
    ...together(['NATS_USER', 'NATS_PASSWORD'], str),
    ...together([tlsNames.cert, tlsNames.key], str),
    ...together(['NATS_TLS_CERT_FILE', 'NATS_TLS_KEY_FILE'], str),
  ];
  const host = parsed[`${prefix}_HOST`] as string;
  const httpTls = str(tlsNames.cert) && str(tlsNames.key) ? { certFile: str(tlsNames.cert) as string, keyFile: str(tlsNames.key) as string } : undefined;
  // Plain HTTP carries tokens and wrapped keys: only on loopback, unless the operator says so (e.g. a
  // private compose network, or TLS terminated by a proxy in front).
  if (!httpTls && !isLoopback(host) && !parsed['KEYWARD_ALLOW_PLAINTEXT_HTTP']) {
    problems.push({
      variable: `${prefix}_HOST`,
      problem: `is not a loopback address: set ${tlsNames.cert} and ${tlsNames.key}, or KEYWARD_ALLOW_PLAINTEXT_HTTP=true`,
    });
  }
  if (problems.length) throw new ConfigError(app, problems);
  const natsUser = str('NATS_USER');
  const natsTls = {
    ...(str('NATS_TLS_CA_FILE') ? { caFile: str('NATS_TLS_CA_FILE') } : {}),
    ...(str('NATS_TLS_CERT_FILE') ? { certFile: str('NATS_TLS_CERT_FILE'), keyFile: str('NATS_TLS_KEY_FILE') } : {}),
  };
  const service: ServiceConfig = {
    app,
    replicaId: (parsed['KEYWARD_REPLICA_ID'] as string | undefined) ?? `${app}-${randomUUID().slice(0, 8)}`,
    http: { host, port: parsed[`${prefix}_PORT`] as number, ...(httpTls ? { tls: httpTls } : {}) },
    logLevel: parsed['LOG_LEVEL'] as ServiceConfig['logLevel'],
    nats: {
      servers: (parsed['NATS_URL'] as string).split(',').map((s) => s.trim()),
      ...(natsUser ? { user: natsUser, password: str('NATS_PASSWORD') } : {}),
      prefix: parsed['KEYWARD_NATS_PREFIX'] as string,
      streamStorage: parsed['KEYWARD_NATS_STREAM_STORAGE'] as 'file' | 'memory',
      rpcTimeoutMs: parsed['KEYWARD_RPC_TIMEOUT_MS'] as number,
      ...(Object.keys(natsTls).length ? { tls: natsTls } : {}),
    },
    databaseUrl: parsed['DATABASE_URL'] as string,
  };
  return { service, own: parsed as z.output<z.ZodObject<E>> };
}

/** Variables that only make sense together: each one set without the others is a problem. */
function together(names: readonly string[], value: (name: string) => string | undefined): { variable: string; problem: string }[] {
  const set = names.filter((name) => value(name));
  if (set.length === 0 || set.length === names.length) return [];
  return names
    .filter((name) => !value(name))
    .map((variable) => ({ variable, problem: `must be set together with ${names.filter((n) => n !== variable).join(' / ')}` }));
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
