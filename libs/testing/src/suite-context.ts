import { randomBytes } from 'node:crypto';
import { ADMIN_APIKEY_ENV, type KeywardAppName, SERVICE_NAMES, appPortEnvName, serviceApiKeyEnvName } from '@keyward/contracts';
import { type TestDatabase, createTestDatabase } from './services/test-database';
import { createNatsPrefix, deleteStreamsWithPrefix } from './services/test-nats';
import { readTestEnvironment } from './services/test-environment';

export type AppEnv = Record<string, string | undefined>;

/**
 * Everything one suite needs to run Keyward apps in isolation: a database per app copied from its
 * template, a NATS subject prefix of its own, and the environment that points apps at them.
 */
export interface SuiteContext {
  prefix: string;
  adminApiKey: string;
  /** KEYWARD_SERVICE_APIKEY_<NAME> for every service, fresh per suite. */
  serviceApiKeys: Record<string, string>;
  databases: Partial<Record<KeywardAppName, TestDatabase>>;
  /** The environment for `app`: port 0 (the OS picks), quiet logs, memory streams. */
  envFor(app: KeywardAppName, extra?: AppEnv): AppEnv;
  dispose(): Promise<void>;
}

export async function createSuiteContext(apps: readonly KeywardAppName[]): Promise<SuiteContext> {
  const { natsUrl } = readTestEnvironment();
  const prefix = createNatsPrefix();
  const adminApiKey = `kw-test-admin-${randomBytes(16).toString('hex')}`;
  // The HSM requires a storage key (ceremony private keys at rest); one per suite, kept across restarts.
  const hsmStorageKey = randomBytes(32).toString('base64');
  const serviceApiKeys = Object.fromEntries(SERVICE_NAMES.map((service) => [serviceApiKeyEnvName(service), `kw-test-${service}-${randomBytes(16).toString('hex')}`]));
  const databases: Partial<Record<KeywardAppName, TestDatabase>> = {};
  for (const app of apps) databases[app] = await createTestDatabase(app);
  return {
    prefix,
    adminApiKey,
    serviceApiKeys,
    databases,
    envFor: (app, extra = {}) => ({
      [appPortEnvName(app)]: '0',
      DATABASE_URL: databases[app]?.url,
      NATS_URL: natsUrl,
      KEYWARD_NATS_PREFIX: prefix,
      KEYWARD_NATS_STREAM_STORAGE: 'memory',
      LOG_LEVEL: 'warn',
      [ADMIN_APIKEY_ENV]: adminApiKey,
      ...serviceApiKeys,
      ...(app === 'hsm' ? { KEYWARD_HSM_STORAGE_KEY: hsmStorageKey } : {}),
      // The KMS's second (private) listener: any free port, as for the public one.
      ...(app === 'kms' ? { KEYWARD_KMS_PRIVATE_PORT: '0' } : {}),
      ...extra,
    }),
    dispose: async () => {
      await Promise.all(Object.values(databases).map((database) => database.drop()));
      await deleteStreamsWithPrefix(prefix);
    },
  };
}
