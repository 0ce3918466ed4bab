import type { Logger } from 'pino';
import type { KeywardAppName } from '@keyward/contracts';
import type { RunningService } from '@keyward/platform';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken, createCapturingLogger, createHsmDevEnv, createSuiteContext, iamTokenFor, repoRoot } from '@keyward/testing';
import { startAppConfiguration } from '../start-app-configuration';

import { type CallResult, callJson } from '@keyward/testing';

export type { CallResult };

export interface AppConfigSuite {
  suite: SuiteContext;
  app: RunningService;
  peers: RunningStack;
  iamUrl: string;
  kmsUrl: string;
  admin: string;
  account: string;
  logs: ReturnType<typeof createCapturingLogger>;
  /** A call to App Configuration. */
  call(token: string | undefined, method: string, path: string, body?: unknown): Promise<CallResult>;
  /** A call to IAM or the KMS (`url`). */
  callAt(url: string, token: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<CallResult>;
  /** An instance created by `token` (default: the admin, in the suite's account). */
  instance(service: 'apprapp' | 'kms' | 'hs-crypto', plan: string, token?: string): Promise<{ guid: string; crn: string; resource_group_id: string }>;
  /** A user of the suite's account with `role` on the given App Configuration instance. */
  userWithRole(role: 'Reader' | 'Writer' | 'Manager', instanceGuid: string): Promise<string>;
  /** A root key (or a standard key) in a Key Protect instance, created by the admin. */
  rootKey(kmsGuid: string, options?: { extractable?: boolean }): Promise<{ id: string; crn: string }>;
  /**
   * The IAM authorization App Configuration instance → Key Protect (or `hs-crypto`) instance (Reader),
   * as `keyward iam authorization-policy-create` makes it; `sourceAccount` when the App Configuration
   * instance is in another account than the suite's (where the key is).
   */
  authorize(appGuid: string, kmsGuid: string, options?: { targetService?: 'kms' | 'hs-crypto'; sourceAccount?: string }): Promise<void>;
  close(): Promise<void>;
}

/**
 * App Configuration in-process (capturing its logs), IAM — and with `kms`, the HSM and the KMS — as
 * their built processes (`npx nx run-many -t build --projects=tag:type:app`), on this suite's
 * databases and NATS prefix.
 */
export async function startAppConfigSuite(options: { kms?: boolean; env?: Record<string, string> } = {}): Promise<AppConfigSuite> {
  const peerApps: KeywardAppName[] = options.kms ? ['iam', 'hsm', 'kms'] : ['iam'];
  const suite = await createSuiteContext([...peerApps, 'app-configuration']);
  const hsmEnv = options.kms ? createHsmDevEnv() : {};
  const ports: Partial<Record<KeywardAppName, number>> = {};
  for (const app of peerApps) ports[app] = await findFreePort();
  const peers = await startStack({
    root: repoRoot(),
    apps: peerApps,
    env: { PATH: process.env['PATH'] },
    perAppEnv: (app) => ({ ...suite.envFor(app), ...(app === 'hsm' ? hsmEnv : {}), ...(app === 'kms' ? { KEYWARD_KMS_PRIVATE_PORT: '0', ...options.env } : {}) }),
    ports,
  });
  const urlOf = (app: KeywardAppName) => peers.services.find((service) => service.app === app)?.url ?? 'http://127.0.0.1:1';
  const iamUrl = urlOf('iam');
  const kmsUrl = urlOf('kms');
  const logs = createCapturingLogger('app-configuration', 'debug');
  const app = await startAppConfiguration(suite.envFor('app-configuration', { KEYWARD_IAM_URL: iamUrl, KEYWARD_KMS_URL: kmsUrl }), { logger: logs.logger as Logger });
  const admin = await iamTokenFor(iamUrl, suite.adminApiKey);
  const account = accountOfToken(admin);

  const callAt: AppConfigSuite['callAt'] = callJson;

  return {
    suite,
    app,
    peers,
    iamUrl,
    kmsUrl,
    admin,
    account,
    logs,
    callAt,
    call: (token, method, path, body) => callAt(app.url, token, method, path, body),
    instance: async (service, plan, token = admin) => {
      const created = await callAt(iamUrl, token, 'POST', '/v2/resource_instances', { name: `${service}-${Math.random().toString(36).slice(2, 8)}`, service, plan, target: 'us-south' });
      if (created.status !== 201) throw new Error(`instance creation failed: ${created.status} ${created.text}`);
      return created.body;
    },
    userWithRole: async (role, instanceGuid) => {
      const name = `${role.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}`;
      const user = await callAt(iamUrl, admin, 'POST', '/v1/users', { name });
      if (user.status !== 201) throw new Error(`user creation failed: ${user.status} ${user.text}`);
      const key = await callAt(iamUrl, admin, 'POST', '/v1/apikeys', { name: `${name}-key`, iam_id: user.body.iam_id });
      if (key.status !== 201) throw new Error(`API key creation failed: ${key.status} ${key.text}`);
      const policy = await callAt(iamUrl, admin, 'POST', '/v1/policies', {
        type: 'access',
        subjects: [{ attributes: [{ name: 'iam_id', value: user.body.iam_id }] }],
        roles: [{ role_id: `crn:v1:bluemix:public:iam::::serviceRole:${role}` }],
        resources: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }, { name: 'serviceInstance', value: instanceGuid }] }],
      });
      if (policy.status !== 201) throw new Error(`policy creation failed: ${policy.status} ${policy.text}`);
      return iamTokenFor(iamUrl, key.body.apikey);
    },
    rootKey: async (kmsGuid, keyOptions = {}) => {
      const created = await callAt(
        kmsUrl,
        admin,
        'POST',
        '/api/v2/keys',
        { metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 }, resources: [{ type: 'application/vnd.ibm.kms.key+json', name: `k-${Math.random().toString(36).slice(2, 8)}`, extractable: keyOptions.extractable ?? false }] },
        { 'bluemix-instance': kmsGuid },
      );
      if (created.status !== 201) throw new Error(`key creation failed: ${created.status} ${created.text}`);
      return { id: created.body.resources[0].id, crn: created.body.resources[0].crn };
    },
    authorize: async (appGuid, kmsGuid, authorizeOptions = {}) => {
      const policy = await callAt(iamUrl, admin, 'POST', '/v1/policies', {
        type: 'authorization',
        subjects: [{ attributes: [{ name: 'accountId', value: authorizeOptions.sourceAccount ?? account }, { name: 'serviceName', value: 'apprapp' }, { name: 'serviceInstance', value: appGuid }] }],
        roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }],
        resources: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: authorizeOptions.targetService ?? 'kms' }, { name: 'serviceInstance', value: kmsGuid }] }],
      });
      if (policy.status !== 201) throw new Error(`authorization not created: ${policy.status} ${policy.text}`);
    },
    close: async () => {
      await app.close();
      await peers.stop();
      await suite.dispose();
    },
  };
}
