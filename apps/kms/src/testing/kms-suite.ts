import type { Logger } from 'pino';
import { type LaunchedService, type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken as accountOf, createCapturingLogger, createHsmDevEnv, createSuiteContext, iamTokenFor as tokenFor, repoRoot } from '@keyward/testing';
import { ManualClock } from '../common/clock';
import { type RunningKms, startKms } from '../start-kms';

export interface KmsSuite {
  suite: SuiteContext;
  kms: RunningKms;
  peers: RunningStack;
  iamUrl: string;
  clock: ManualClock;
  logs: ReturnType<typeof createCapturingLogger>;
  hsmLines: string[];
  admin: string;
  account: string;
  peer(app: 'hsm' | 'iam'): LaunchedService;
  /** Creates a resource instance in IAM (as the admin unless a token is given). */
  instance(service: 'kms' | 'hs-crypto', parameters?: Record<string, unknown>): Promise<{ guid: string; crn: string }>;
  close(): Promise<void>;
}

/** Short windows, so tests move the clock by seconds instead of hours. */
export const TEST_WINDOWS = {
  KEYWARD_KMS_ENABLE_WAIT_MS: '30000',
  KEYWARD_KMS_RESTORE_WAIT_MS: '30000',
  KEYWARD_KMS_ROTATION_INTERVAL_MS: '3600000',
  KEYWARD_KMS_PURGE_WAIT_MS: '14400000',
  KEYWARD_KMS_RESTORE_WINDOW_MS: '2592000000',
  KEYWARD_KMS_AUTO_PURGE_MS: '7776000000',
  KEYWARD_KMS_SCHEDULER_INTERVAL_MS: '3600000',
  KEYWARD_KMS_AUDIT_FLUSH_MS: '20',
};

/** The KMS in-process (with a manual clock), IAM and the HSM as their built processes, on this suite's databases and NATS prefix. */
export async function startKmsSuite(extraEnv: Record<string, string> = {}): Promise<KmsSuite> {
  const suite = await createSuiteContext(['iam', 'kms', 'hsm']);
  const hsmLines: string[] = [];
  const hsmEnv = createHsmDevEnv();
  const peers = await startStack({
    root: repoRoot(),
    apps: ['iam', 'hsm'],
    env: { PATH: process.env['PATH'], ...suite.envFor('hsm'), DATABASE_URL: undefined },
    perAppEnv: (app) => ({ DATABASE_URL: suite.databases[app]?.url, ...(app === 'hsm' ? hsmEnv : {}) }),
    ports: { iam: await findFreePort(), hsm: await findFreePort() },
    onOutput: (app, line) => app === 'hsm' && hsmLines.push(line),
  });
  const peerService = (app: 'iam' | 'hsm') => {
    const found = peers.services.find((s) => s.app === app);
    if (!found) throw new Error(`${app} did not start`);
    return found;
  };
  const iamUrl = peerService('iam').url;
  const clock = new ManualClock(new Date());
  const logs = createCapturingLogger('kms', 'debug');
  const kms = await startKms(suite.envFor('kms', { KEYWARD_IAM_URL: iamUrl, ...TEST_WINDOWS, ...extraEnv }), { logger: logs.logger as Logger, clock });
  const admin = await tokenFor(iamUrl, suite.adminApiKey);
  const account = accountOf(admin);
  return {
    suite,
    kms,
    peers,
    iamUrl,
    clock,
    logs,
    hsmLines,
    admin,
    account,
    peer: peerService,
    instance: async (service, parameters) => {
      const response = await call(iamUrl, admin, 'POST', '/v2/resource_instances', {
        name: `${service}-${Math.random().toString(36).slice(2, 8)}`,
        service,
        plan: 'standard',
        target: 'us-south',
        ...(parameters ? { parameters } : {}),
      });
      if (response.status !== 201) throw new Error(`instance creation failed: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body as { guid: string; crn: string };
    },
    close: async () => {
      await kms.close();
      await peers.stop();
      await suite.dispose();
    },
  };
}

/** The shared test helpers under the names these suites use. */
export { tokenFor, accountOf };

import { type CallResult, callJson as call } from '@keyward/testing';

export { type CallResult, call };

/** The Key Protect reason code of an error body. */
export function reason(result: CallResult): string | undefined {
  return result.body?.resources?.[0]?.reasons?.[0]?.code;
}

export function createKeyBody(resource: Record<string, unknown>) {
  return {
    metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
    resources: [{ type: 'application/vnd.ibm.kms.key+json', ...resource }],
  };
}
