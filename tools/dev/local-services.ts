import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { isReachable } from '@keyward/stack';

interface LocalService {
  name: string;
  url: string;
  defaultPort: number;
  /** How to start it on a Debian machine where its package is installed (shared/docs/STACK.md). */
  start?: () => boolean;
  install: string;
}

function run(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

export function localServices(postgresUrl: string, natsUrl: string): LocalService[] {
  return [
    {
      name: 'PostgreSQL',
      url: postgresUrl,
      defaultPort: 5432,
      install: 'apt-get install postgresql (or point KEYWARD_POSTGRES_URL at a server)',
      start: () => {
        if (!existsSync('/usr/bin/pg_ctlcluster') || !existsSync('/etc/postgresql')) return false;
        const versions = readdirSync('/etc/postgresql');
        return versions.length > 0 && run('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0] as string, 'main', 'start']);
      },
    },
    {
      name: 'NATS (with JetStream)',
      url: natsUrl,
      defaultPort: 4222,
      install: 'apt-get install nats-server (or point NATS_URL at a server)',
      start: () =>
        existsSync('/usr/sbin/nats-server') &&
        run('start-stop-daemon', [
          '--start', '--oknodo', '--background', '--exec', '/usr/sbin/nats-server', '--',
          '-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log',
        ]),
    },
  ];
}

/** Makes sure Postgres and NATS answer: starts them when their binaries are installed, else says what to install. */
export async function ensureLocalServices(postgresUrl: string, natsUrl: string): Promise<void> {
  for (const service of localServices(postgresUrl, natsUrl)) {
    const { hostname, port } = new URL(service.url.split(',')[0] as string);
    const target = Number(port || service.defaultPort);
    if (await isReachable(hostname, target)) continue;
    const local = hostname === '127.0.0.1' || hostname === 'localhost';
    if (local && service.start?.()) {
      for (let i = 0; i < 50 && !(await isReachable(hostname, target)); i++) await new Promise((r) => setTimeout(r, 200));
      if (await isReachable(hostname, target)) {
        console.log(`Started ${service.name} on ${hostname}:${target}.`);
        continue;
      }
    }
    throw new Error(`${service.name} is not reachable at ${hostname}:${target} and could not be started here. Install it: ${service.install}.`);
  }
}
