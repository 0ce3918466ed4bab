import { Client } from 'pg';
import type { Logger } from 'pino';
import type { RunningService } from '@keyward/platform';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken, createCapturingLogger, createHsmDevEnv, createSuiteContext, iamTokenFor, repoRoot } from '@keyward/testing';
import { startDbaas } from '../start-dbaas';

import { type CallResult, callJson as call } from '@keyward/testing';

export { type CallResult, call };

/** The keyward error code of a DBaaS answer. */
export function errorCode(result: CallResult): string | undefined {
  return result.body?.errors?.[0]?.code;
}

/** Windows of one millisecond, so disable/enable, delete/restore and purge follow each other at once. */
const KMS_WINDOWS = {
  KEYWARD_KMS_ENABLE_WAIT_MS: '1',
  KEYWARD_KMS_RESTORE_WAIT_MS: '1',
  KEYWARD_KMS_PURGE_WAIT_MS: '1',
  KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS: '100',
};

export interface DbaasSuite {
  suite: SuiteContext;
  dbaas: RunningService;
  peers: RunningStack;
  iamUrl: string;
  kmsUrl: string;
  admin: string;
  account: string;
  logs: ReturnType<typeof createCapturingLogger>;
  /** A `kms` instance of the admin's account. */
  kmsInstance(): Promise<{ guid: string; crn: string }>;
  /** A root (or standard) key in `instance`: its id and CRN. */
  key(instance: string, options?: { extractable?: boolean }): Promise<{ id: string; crn: string }>;
  /** `hyperp-dbaas-postgresql` → kms `instance` with Reader (and its dependents with delegation). */
  authorize(instance: string, options?: { delegate?: boolean }): Promise<string>;
  kp(method: string, instance: string, path: string, body?: unknown): Promise<CallResult>;
  api(method: string, path: string, body?: unknown): Promise<CallResult>;
  /** SQL on an app's own database (what a dump would show). */
  sql<T = Record<string, unknown>>(app: 'dbaas' | 'kms', text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** IAM, the HSM and the KMS as built processes, DBaaS in-process, on this suite's databases and NATS prefix. */
export async function startDbaasSuite(extraEnv: Record<string, string> = {}): Promise<DbaasSuite> {
  const suite = await createSuiteContext(['iam', 'kms', 'hsm', 'dbaas']);
  const hsmEnv = createHsmDevEnv();
  const output: string[] = [];
  let peers: RunningStack;
  try {
    peers = await startStack({
      root: repoRoot(),
      apps: ['iam', 'hsm', 'kms'],
      env: { PATH: process.env['PATH'], ...suite.envFor('kms'), ...KMS_WINDOWS, DATABASE_URL: undefined },
      perAppEnv: (app) => ({ DATABASE_URL: suite.databases[app]?.url, ...(app === 'hsm' ? hsmEnv : {}) }),
      ports: { iam: await findFreePort(), hsm: await findFreePort(), kms: await findFreePort() },
      onOutput: (app, line) => output.push(`[${app}] ${line}`),
    });
  } catch (error) {
    await suite.dispose();
    throw new Error(`${(error as Error).message}\n${output.slice(-30).join('\n')}`);
  }
  const urlOf = (app: string) => peers.services.find((s) => s.app === app)?.url as string;
  const iamUrl = urlOf('iam');
  const kmsUrl = urlOf('kms');
  const logs = createCapturingLogger('dbaas', 'debug');
  const dbaas = await startDbaas(suite.envFor('dbaas', { KEYWARD_IAM_URL: iamUrl, KEYWARD_KMS_URL: kmsUrl, ...extraEnv }), { logger: logs.logger as Logger });
  const admin = await iamTokenFor(iamUrl, suite.adminApiKey);
  const account = accountOfToken(admin);
  const kp = (method: string, instance: string, path: string, body?: unknown) => call(kmsUrl, admin, method, `/api/v2${path}`, body, { 'bluemix-instance': instance });
  return {
    suite,
    dbaas,
    peers,
    iamUrl,
    kmsUrl,
    admin,
    account,
    logs,
    kp,
    api: (method, path, body) => call(dbaas.url, admin, method, `/api/v1${path}`, body),
    kmsInstance: async () => {
      const created = await call(iamUrl, admin, 'POST', '/v2/resource_instances', { name: `kp-${Math.random().toString(36).slice(2, 8)}`, service: 'kms', plan: 'standard', target: 'us-south' });
      if (created.status !== 201) throw new Error(`kms instance: ${created.status} ${created.text}`);
      return created.body as { guid: string; crn: string };
    },
    key: async (instance, options = {}) => {
      const created = await kp('POST', instance, '/keys', {
        metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
        resources: [{ type: 'application/vnd.ibm.kms.key+json', name: `k-${Math.random().toString(36).slice(2, 8)}`, extractable: options.extractable ?? false }],
      });
      if (created.status !== 201) throw new Error(`key: ${created.status} ${created.text}`);
      return { id: created.body.resources[0].id as string, crn: created.body.resources[0].crn as string };
    },
    authorize: async (instance, options = {}) => {
      const policy = await call(iamUrl, admin, 'POST', '/v2/policies', {
        type: 'authorization',
        subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'hyperp-dbaas-postgresql' }] },
        resource: {
          attributes: [
            { key: 'accountId', operator: 'stringEquals', value: account },
            { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
            { key: 'serviceInstance', operator: 'stringEquals', value: instance },
          ],
        },
        control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
        ...(options.delegate === false ? {} : { delegate_dependents: true }),
      });
      if (policy.status !== 201) throw new Error(`authorization: ${policy.status} ${policy.text}`);
      return policy.body.id as string;
    },
    sql: async <T>(app: 'dbaas' | 'kms', text: string, values: unknown[] = []) => {
      const client = new Client({ connectionString: suite.databases[app]?.url });
      await client.connect();
      try {
        return (await client.query(text, values)).rows as T[];
      } finally {
        await client.end();
      }
    },
    close: async () => {
      await dbaas.close();
      await peers.stop();
      await suite.dispose();
    },
  };
}
