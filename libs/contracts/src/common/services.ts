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
