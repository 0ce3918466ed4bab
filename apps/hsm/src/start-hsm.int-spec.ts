import type { RunningService } from '@keyward/platform';
import { type SuiteContext, createSuiteContext } from '@keyward/testing';
import { startHsm } from './start-hsm';

describe('HSM daemon on real Postgres and NATS', () => {
  let suite: SuiteContext;
  let hsm: RunningService;

  beforeAll(async () => {
    suite = await createSuiteContext(['hsm']);
    hsm = await startHsm(suite.envFor('hsm'));
  });

  afterAll(async () => {
    await hsm?.close();
    await suite?.dispose();
  });

  it('is healthy with its database and NATS', async () => {
    const response = await fetch(`${hsm.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { nats: { status: 'ok' }, database: { status: 'ok' } } });
  });

  it('reports down with 503 when its database is unreachable', async () => {
    await suite.databases.hsm?.drop();
    const response = await fetch(`${hsm.url}/health`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; checks: Record<string, { status: string; detail?: string }> };
    expect(body.status).toBe('down');
    expect(body.checks['database']?.status).toBe('down');
    // The detail never carries the connection string.
    expect(JSON.stringify(body)).not.toContain('postgresql://');
  });

  it('serves nothing over HTTP but health and metrics', async () => {
    const response = await fetch(`${hsm.url}/api/v2/keys`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ errors: [{ code: 'NOT_FOUND_ERR' }] });
  });
});
