import type { HealthReport } from '@keyward/contracts';
import type { RunningService } from '@keyward/platform';
import { type SuiteContext, createSuiteContext } from '@keyward/testing';
import { startDbaas } from './start-dbaas';

describe('Hyper Protect DBaaS on real Postgres and NATS', () => {
  let suite: SuiteContext;
  let dbaas: RunningService;

  beforeAll(async () => {
    suite = await createSuiteContext(['dbaas']);
    dbaas = await startDbaas(suite.envFor('dbaas', { KEYWARD_KMS_URL: 'http://127.0.0.1:1' }));
  });

  afterAll(async () => {
    await dbaas?.close();
    await suite?.dispose();
  });

  it('serves Prometheus metrics of its own requests', async () => {
    await fetch(`${dbaas.url}/health`);
    const metrics = await (await fetch(`${dbaas.url}/metrics`)).text();
    expect(metrics).toMatch(/keyward_http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*\} [1-9]/);
  });

  it('is down with 503 when its own database is unreachable, and says so without the URL', async () => {
    await suite.databases.dbaas?.drop();
    const response = await fetch(`${dbaas.url}/health`);
    expect(response.status).toBe(503);
    const report = (await response.json()) as HealthReport;
    expect(report).toMatchObject({ status: 'down', checks: { database: { status: 'down' } } });
    expect(JSON.stringify(report)).not.toContain('postgresql://');
  });
});
