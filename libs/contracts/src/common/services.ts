/**
 * The Keyward processes: their service names (as IAM and CRNs spell them), default HTTP ports and the
 * environment variable names derived from them. Ports are fixed by DESIGN.md "Runtime".
 */
export const KEYWARD_APPS = {
  iam: { port: 8101, envPrefix: 'KEYWARD_IAM' },
  kms: { port: 8102, envPrefix: 'KEYWARD_KMS' },
  hsm: { port: 8103, envPrefix: 'KEYWARD_HSM' },
  'app-configuration': { port: 8104, envPrefix: 'KEYWARD_APP_CONFIGURATION' },
  schematics: { port: 8105, envPrefix: 'KEYWARD_SCHEMATICS' },
  dbaas: { port: 8106, envPrefix: 'KEYWARD_DBAAS' },
} as const;

export type KeywardAppName = keyof typeof KEYWARD_APPS;

/** IAM service names (the `service_name` claim and the CRN service segment). */
export const SERVICE_NAMES = [
  'kms',
  'hs-crypto',
  'apprapp',
  'schematics',
  'hyperp-dbaas-postgresql',
  'hyperp-dbaas-backup',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** `KEYWARD_SERVICE_APIKEY_<NAME>`: NAME is the service name upper-cased with `-` as `_`. */
export function serviceApiKeyEnvName(service: ServiceName): string {
  return `KEYWARD_SERVICE_APIKEY_${service.toUpperCase().replace(/-/g, '_')}`;
}

export const ADMIN_APIKEY_ENV = 'KEYWARD_ADMIN_APIKEY';

export function appPortEnvName(app: KeywardAppName): string {
  return `${KEYWARD_APPS[app].envPrefix}_PORT`;
}

export function appUrlEnvName(app: KeywardAppName): string {
  return `${KEYWARD_APPS[app].envPrefix}_URL`;
}

export function defaultDatabaseUrl(app: KeywardAppName): string {
  return `postgresql://postgres@127.0.0.1:5432/keyward_${app.replace(/-/g, '_')}`;
}

/** The consumer services: they reach the KMS only over its public HTTP API (libs/kms-client). */
export const CONSUMER_APPS = ['app-configuration', 'schematics', 'dbaas'] as const;
export type ConsumerAppName = (typeof CONSUMER_APPS)[number];

/** The IAM service each consumer acts as: its token's `service_name` and its CRNs' service segment. */
export const CONSUMER_SERVICE_NAMES = {
  'app-configuration': 'apprapp',
  schematics: 'schematics',
  dbaas: 'hyperp-dbaas-postgresql',
} as const satisfies Record<ConsumerAppName, ServiceName>;

/** `KEYWARD_<APP>_TLS_CERT_FILE` / `_TLS_KEY_FILE`: PEM files for the app's HTTPS listener. */
export function appTlsEnvNames(app: KeywardAppName): { cert: string; key: string } {
  const prefix = KEYWARD_APPS[app].envPrefix;
  return { cert: `${prefix}_TLS_CERT_FILE`, key: `${prefix}_TLS_KEY_FILE` };
}

/**
 * `KEYWARD_NATS_PASSWORD_<APP>`: where the nats-server configuration (deploy/nats) reads each app's
 * NATS password; the app itself gets it as NATS_PASSWORD (and its user name as NATS_USER).
 */
export function natsPasswordEnvName(app: KeywardAppName): string {
  return `KEYWARD_NATS_PASSWORD_${KEYWARD_APPS[app].envPrefix.replace(/^KEYWARD_/, '')}`;
}
