import type { HealthReport } from '@keyward/contracts';
import { ConfigError, type RunningService } from '@keyward/platform';
import { type SuiteContext, createSuiteContext } from '@keyward/testing';
import { startAppConfiguration } from './start-app-configuration';

describe('App Configuration on real Postgres and NATS', () => {
  let suite: SuiteContext;
  let app: RunningService;

  beforeAll(async () => {
    suite = await createSuiteContext(['app-configuration']);
    // Neither the KMS nor IAM runs in this suite.
    app = await startAppConfiguration(suite.envFor('app-configuration', { KEYWARD_KMS_URL: 'http://127.0.0.1:1' }));
  });

  afterAll(async () => {
    await app?.close();
    await suite?.dispose();
  });

  it('serves with its own dependencies up, degraded (not down) while the KMS and IAM are away', async () => {
    const response = await fetch(`${app.url}/health`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as HealthReport;
    expect(report.status).toBe('degraded');
    expect(report.checks).toMatchObject({ database: { status: 'ok' }, nats: { status: 'ok' }, kms: { status: 'down' }, iam: { status: 'down' } });
  });

  it('answers in the consumers’ error format', async () => {
    const response = await fetch(`${app.url}/features`, { headers: { 'x-request-id': 'ac-1' } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ errors: [{ code: 'NOT_FOUND_ERR' }], trace: 'ac-1' });
  });

  it('refuses to start without its service API key, naming the variable', async () => {
    const env = suite.envFor('app-configuration', { KEYWARD_SERVICE_APIKEY_APPRAPP: undefined });
    const error = (await startAppConfiguration(env).catch((caught: unknown) => caught)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('KEYWARD_SERVICE_APIKEY_APPRAPP: is required but not set');
  });
});
