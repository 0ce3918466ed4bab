import type { NatsConnection } from 'nats';
import { type SuiteContext, createCapturingLogger, createSuiteContext } from '@keyward/testing';
import type { RunningService } from '@keyward/platform';
import { SERVICE_NAMES, serviceApiKeyEnvName } from '@keyward/contracts';
import { Clock } from '../common/clock';
import { startIam } from '../start-iam';

export interface IamSuite {
  suite: SuiteContext;
  iam: RunningService;
  logs: ReturnType<typeof createCapturingLogger>;
  serviceKeys: Record<string, string>;
  close(): Promise<void>;
}

/** IAM on its own database and NATS prefix, with every service's API key set and logs captured. */
export async function startIamSuite(extraEnv: Record<string, string> = {}, options: { clock?: Clock } = {}): Promise<IamSuite> {
  const suite = await createSuiteContext(['iam']);
  // The suite context generates every service's key; envFor passes them, so a second replica started
  // from the same context bootstraps the same keys.
  const serviceKeys = Object.fromEntries(SERVICE_NAMES.map((name) => [name, suite.serviceApiKeys[serviceApiKeyEnvName(name)] as string]));
  const env = suite.envFor('iam', {
    KEYWARD_IAM_AUDIT_FLUSH_MS: '20',
    ...extraEnv,
  });
  const logs = createCapturingLogger('iam', 'debug');
  const iam = await startIam(env, { logger: logs.logger, ...(options.clock ? { clock: options.clock } : {}) });
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

/** The shared test helpers under the names these suites use. */
export { iamTokenFor as tokenFor, accountOfToken } from '@keyward/testing';

export async function call(iamUrl: string, token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${iamUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** Calls an `rpc.iam.*` subject in Nest's NATS wire format; returns the reply's response or err. */
export async function rpc(nats: NatsConnection, prefix: string, subject: string, data: unknown): Promise<{ response?: unknown; err?: unknown }> {
  const message = await nats.request(`${prefix}.${subject}`, new TextEncoder().encode(JSON.stringify({ pattern: subject, data, id: `t-${Math.random()}` })), { timeout: 5000 });
  return JSON.parse(new TextDecoder().decode(message.data)) as { response?: unknown; err?: unknown };
}

/** Collects the JSON events published under `<prefix>.events.iam.>` (core subscription). */
export function collectEvents(nats: NatsConnection, prefix: string): { events: { subject: string; data: Record<string, unknown> }[]; stop(): void } {
  const events: { subject: string; data: Record<string, unknown> }[] = [];
  const subscription = nats.subscribe(`${prefix}.events.iam.>`, {
    callback: (_error, message) => {
      events.push({ subject: message.subject.slice(prefix.length + 1), data: JSON.parse(new TextDecoder().decode(message.data)) as Record<string, unknown> });
    },
  });
  return { events, stop: () => subscription.unsubscribe() };
}
