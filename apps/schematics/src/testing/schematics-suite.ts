import type { Logger } from 'pino';
import { type LaunchedService, type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken, createCapturingLogger, createHsmDevEnv, createSuiteContext, iamTokenFor, repoRoot } from '@keyward/testing';
import type { RunningService } from '@keyward/platform';
import { startSchematics } from '../start-schematics';

import { type CallResult, callJson as call } from '@keyward/testing';

export { type CallResult, call };

export interface RootKey {
  instance: string;
  id: string;
  crn: string;
}

export interface SchematicsSuite {
  suite: SuiteContext;
  peers: RunningStack;
  iamUrl: string;
  kmsUrl: string;
  admin: string;
  account: string;
  logs: ReturnType<typeof createCapturingLogger>;
  peerLines: string[];
  peer(app: 'iam' | 'hsm' | 'kms'): LaunchedService;
  /** A `kms` (or `hs-crypto`) instance in IAM, created by the admin. */
  instance(service?: 'kms' | 'hs-crypto', target?: string): Promise<{ guid: string; crn: string }>;
  /** A root key (or standard key, `extractable`) in `instance`. */
  rootKey(instance: string, options?: { extractable?: boolean }): Promise<RootKey>;
  /** IAM authorization `schematics` → the KMS instance with `role`. */
  grantSchematics(instance: string, role?: string): Promise<void>;
  /** Starts Schematics in-process (after the keys it needs exist). */
  startSchematics(extraEnv?: Record<string, string>): Promise<RunningService>;
  close(): Promise<void>;
}

/** IAM, the HSM and the KMS as their built processes; Schematics in-process, on this suite's databases and NATS prefix. */
export async function startSchematicsSuite(): Promise<SchematicsSuite> {
  const suite = await createSuiteContext(['iam', 'hsm', 'kms', 'schematics']);
  const hsmEnv = createHsmDevEnv();
  const peerLines: string[] = [];
  const peers = await startStack({
    root: repoRoot(),
    apps: ['iam', 'hsm', 'kms'],
    env: { PATH: process.env['PATH'] },
    perAppEnv: (app) => ({ ...suite.envFor(app), ...(app === 'hsm' ? hsmEnv : {}) }),
    ports: { iam: await findFreePort(), hsm: await findFreePort(), kms: await findFreePort() },
    onOutput: (_app, line) => peerLines.push(line),
  });
  const peer = (app: 'iam' | 'hsm' | 'kms') => {
    const found = peers.services.find((s) => s.app === app);
    if (!found) throw new Error(`${app} did not start`);
    return found;
  };
  const iamUrl = peer('iam').url;
  const kmsUrl = peer('kms').url;
  const admin = await iamTokenFor(iamUrl, suite.adminApiKey);
  const account = accountOfToken(admin);
  const logs = createCapturingLogger('schematics', 'debug');
  const started: RunningService[] = [];
  return {
    suite,
    peers,
    iamUrl,
    kmsUrl,
    admin,
    account,
    logs,
    peerLines,
    peer,
    instance: async (service = 'kms', target = 'us-south') => {
      const response = await call(iamUrl, admin, 'POST', '/v2/resource_instances', { name: `${service}-${Math.random().toString(36).slice(2, 8)}`, service, plan: 'standard', target });
      if (response.status !== 201) throw new Error(`instance creation failed: ${response.status} ${response.text}`);
      return response.body as { guid: string; crn: string };
    },
    rootKey: async (instance, options = {}) => {
      const response = await call(
        kmsUrl,
        admin,
        'POST',
        '/api/v2/keys',
        {
          metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
          resources: [{ type: 'application/vnd.ibm.kms.key+json', name: `k-${Math.random().toString(36).slice(2, 8)}`, extractable: options.extractable ?? false }],
        },
        { 'bluemix-instance': instance },
      );
      if (response.status !== 201) throw new Error(`key creation failed: ${response.status} ${response.text}`);
      const key = response.body.resources[0] as { id: string; crn: string };
      return { instance, id: key.id, crn: key.crn };
    },
    grantSchematics: async (instance, role = 'Reader') => {
      const policy = await call(iamUrl, admin, 'POST', '/v2/policies', {
        type: 'authorization',
        subject: {
          attributes: [
            { key: 'accountId', operator: 'stringEquals', value: account },
            { key: 'serviceName', operator: 'stringEquals', value: 'schematics' },
          ],
        },
        resource: {
          attributes: [
            { key: 'accountId', operator: 'stringEquals', value: account },
            { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
            { key: 'serviceInstance', operator: 'stringEquals', value: instance },
          ],
        },
        control: { grant: { roles: [{ role_id: `crn:v1:bluemix:public:iam::::serviceRole:${role}` }] } },
      });
      if (policy.status !== 201) throw new Error(`authorization not created: ${policy.status} ${policy.text}`);
    },
    startSchematics: async (extraEnv = {}) => {
      const app = await startSchematics(suite.envFor('schematics', { KEYWARD_IAM_URL: iamUrl, KEYWARD_KMS_URL: kmsUrl, ...extraEnv }), { logger: logs.logger as Logger });
      started.push(app);
      return app;
    },
    close: async () => {
      await Promise.all(started.map((app) => app.close()));
      await peers.stop();
      await suite.dispose();
    },
  };
}
