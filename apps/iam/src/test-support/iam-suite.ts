import { randomBytes } from 'node:crypto';
import { type SuiteContext, createCapturingLogger, createSuiteContext } from '@keyward/testing';
import type { RunningService } from '@keyward/platform';
import { SERVICE_NAMES, serviceApiKeyEnvName } from '@keyward/contracts';
import { startIam } from '../start-iam';

export interface IamSuite {
  suite: SuiteContext;
  iam: RunningService;
  logs: ReturnType<typeof createCapturingLogger>;
  serviceKeys: Record<string, string>;
  close(): Promise<void>;
}

/** IAM on its own database and NATS prefix, with every service's API key set and logs captured. */
export async function startIamSuite(extraEnv: Record<string, string> = {}): Promise<IamSuite> {
  const suite = await createSuiteContext(['iam']);
  const serviceKeys = Object.fromEntries(SERVICE_NAMES.map((name) => [name, `kw-test-${name}-${randomBytes(16).toString('hex')}`]));
  const env = suite.envFor('iam', {
    ...Object.fromEntries(SERVICE_NAMES.map((name) => [serviceApiKeyEnvName(name), serviceKeys[name] as string])),
    KEYWARD_IAM_AUDIT_FLUSH_MS: '20',
    ...extraEnv,
  });
  const logs = createCapturingLogger('iam', 'debug');
  const iam = await startIam(env, { logger: logs.logger });
  return {
    suite,
    iam,
    logs,
    serviceKeys,
    close: async () => {
      await iam.close();
      await suite.dispose();
    },
  };
}

export async function tokenFor(iamUrl: string, apikey: string): Promise<string> {
  const response = await fetch(`${iamUrl}/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey }).toString(),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export async function call(iamUrl: string, token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${iamUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}
