import { spawnSync } from 'node:child_process';
import { isReachable } from '@keyward/stack';

/** Where the suites' Postgres server and NATS server are. */
export interface TestServices {
  /** A URL of the Postgres server; suites replace its database name. */
  postgresUrl: string;
  natsUrl: string;
  source: 'environment' | 'containers' | 'local';
  stop?: () => Promise<void>;
}

const LOCAL_POSTGRES = 'postgresql://postgres@127.0.0.1:5432/postgres';
const LOCAL_NATS = 'nats://127.0.0.1:4222';

/**
 * 1. DATABASE_URL / NATS_URL set → use them. 2. A container runtime answers → start Postgres 15 and
 * NATS 2.9 with JetStream in containers. 3. Otherwise the local services on their standard ports; if
 * one does not answer, stop with a message saying what to start or install.
 */
export async function resolveTestServices(env: NodeJS.ProcessEnv = process.env): Promise<TestServices> {
  if (env['DATABASE_URL'] || env['NATS_URL']) {
    const services = { postgresUrl: env['DATABASE_URL'] ?? LOCAL_POSTGRES, natsUrl: env['NATS_URL'] ?? LOCAL_NATS };
    await assertReachable(services, 'set in the environment');
    return { ...services, source: 'environment' };
  }
  if (containerRuntimeAnswers()) return startContainers();
  const services = { postgresUrl: LOCAL_POSTGRES, natsUrl: LOCAL_NATS };
  await assertReachable(services, 'and no container runtime is available');
  return { ...services, source: 'local' };
}

/**
 * Asked in a child process with a timeout: a wedged Docker socket can hang the call forever, and
 * without a runtime this costs about 0.3 s.
 */
function containerRuntimeAnswers(): boolean {
  const probe = spawnSync(
    process.execPath,
    ['-e', "require('testcontainers').getContainerRuntimeClient().then(() => process.exit(0), () => process.exit(1))"],
    { timeout: 5000, stdio: 'ignore' },
  );
  return probe.status === 0;
}

async function startContainers(): Promise<TestServices> {
  const { GenericContainer } = await import('testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const [postgres, nats] = await Promise.all([
    new PostgreSqlContainer('postgres:15').withUsername('postgres').withPassword('postgres').start(),
    new GenericContainer('nats:2.9').withCommand(['-js']).withExposedPorts(4222).start(),
  ]);
  return {
    postgresUrl: postgres.getConnectionUri(),
    natsUrl: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`,
    source: 'containers',
    stop: async () => {
      await Promise.all([postgres.stop(), nats.stop()]);
    },
  };
}

async function assertReachable(services: { postgresUrl: string; natsUrl: string }, why: string): Promise<void> {
  for (const [name, url] of [
    ['DATABASE_URL', services.postgresUrl],
    ['NATS_URL', services.natsUrl],
  ] as const) {
    const { hostname, port } = new URL(url);
    const defaultPort = name === 'DATABASE_URL' ? 5432 : 4222;
    if (!(await isReachable(hostname, Number(port || defaultPort), 1500))) {
      throw new Error(
        `${name}=${redactUrl(url)} is not reachable ${why}. Start it (see docs/OPERATIONS.md or the README), ` +
          `or install it: apt-get install postgresql nats-server`,
      );
    }
  }
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
