import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HealthReport, type KeywardAppName, appUrlEnvName } from '@keyward/contracts';
import { runCli } from './program';
import { STACK_SERVICES } from './service-urls';
import { testContext as context } from './testing/test-context';

/** One HTTP server per service, answering /health with the report given for that service. */
async function healthServers(reports: (service: KeywardAppName) => HealthReport): Promise<{ servers: Server[]; env: NodeJS.ProcessEnv }> {
  const servers: Server[] = [];
  const env: NodeJS.ProcessEnv = {};
  for (const service of STACK_SERVICES) {
    const server = createServer((_req, res) => {
      const report = reports(service);
      res.writeHead(report.status === 'down' ? 503 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(report));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    env[appUrlEnvName(service)] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  return { servers, env };
}

describe('keyward', () => {
  let servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    servers = [];
  });

  it('--help names the command and its subcommands', async () => {
    const ctx = context({});
    expect(await runCli(['--help'], ctx)).toBe(0);
    const help = ctx.stdout.join('\n');
    expect(help).toContain('Usage: keyward');
    expect(help).toMatch(/status\s+.*health/);
  });

  it('refuses an unknown command with a usage error (exit 2)', async () => {
    const ctx = context({});
    expect(await runCli(['frobnicate'], ctx)).toBe(2);
    expect(ctx.stderr.join('\n')).toContain("unknown command 'frobnicate'");
  });

  it('status shows every service ok and exits 0', async () => {
    const started = await healthServers(() => ({ status: 'ok', checks: { database: { status: 'ok' } } }));
    servers = started.servers;
    const ctx = context(started.env);
    expect(await runCli(['status'], ctx)).toBe(0);
    expect(ctx.stdout).toHaveLength(6);
    for (const service of STACK_SERVICES) expect(ctx.stdout.find((line) => line.startsWith(`${service} `))).toMatch(/\sok\s/);
  });

  it('status names what is wrong, reports unreachable services, and exits 1', async () => {
    const started = await healthServers((service): HealthReport =>
      service === 'kms' ? { status: 'degraded', checks: { database: { status: 'ok' }, hsm: { status: 'down', detail: 'no responders' } } } : { status: 'ok', checks: {} },
    );
    servers = started.servers;
    const ctx = context({ ...started.env, [appUrlEnvName('dbaas')]: 'http://127.0.0.1:1' });
    expect(await runCli(['status', '--json'], ctx)).toBe(1);
    const statuses = JSON.parse(ctx.stdout.join('\n')) as { service: string; status: string; problems: string[] }[];
    expect(statuses.find((s) => s.service === 'kms')).toMatchObject({ status: 'degraded', problems: ['hsm: no responders'] });
    expect(statuses.find((s) => s.service === 'dbaas')).toMatchObject({ status: 'unreachable', problems: [expect.stringContaining('no answer')] });
    expect(statuses.find((s) => s.service === 'iam')).toMatchObject({ status: 'ok', problems: [] });
  });
});
