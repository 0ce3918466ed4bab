import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CONSUMER_APPS, type HealthReport, appUrlEnvName } from '@keyward/contracts';
import { builtMainPath } from '@keyward/stack';
import { repoRoot } from '@keyward/testing';
import { E2E_APPS } from './support/e2e-apps';

const url = (app: (typeof E2E_APPS)[number]) => {
  const value = process.env[appUrlEnvName(app)];
  if (!value) throw new Error(`${appUrlEnvName(app)} is not set: the e2e harness did not start`);
  return value;
};

describe('the built stack', () => {
  it.each(E2E_APPS)('%s answers /health with every dependency ok', async (app) => {
    const response = await fetch(`${url(app)}/health`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as HealthReport;
    expect(report.status).toBe('ok');
    expect(report.checks['database']).toEqual({ status: 'ok' });
    expect(report.checks['nats']).toEqual({ status: 'ok' });
  });

  it('the KMS reaches the HSM and IAM over NATS (rpc.hsm.ping.v1 and rpc.iam.ping.v1)', async () => {
    const report = (await (await fetch(`${url('kms')}/health`)).json()) as HealthReport;
    expect(report.checks['hsm']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^replica hsm-/) });
    expect(report.checks['iam']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^replica iam-/) });
  });

  it.each(CONSUMER_APPS)('%s reaches the KMS over HTTP and IAM over NATS', async (app) => {
    const report = (await (await fetch(`${url(app)}/health`)).json()) as HealthReport;
    expect(report.checks['kms']).toEqual({ status: 'ok' });
    expect(report.checks['iam']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^replica iam-/) });
  });

  it('`keyward status` shows all six services ok', () => {
    const run = spawnSync(process.execPath, [join(repoRoot(), 'apps', 'cli', 'bin', 'keyward.js'), 'status'], {
      env: { PATH: process.env['PATH'], ...Object.fromEntries(E2E_APPS.map((app) => [appUrlEnvName(app), url(app)])) },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const app of E2E_APPS) expect(lines.find((line) => line.startsWith(`${app} `))).toMatch(new RegExp(`^${app}\\s+ok\\s+${url(app)}$`));
  });

  it('echoes a caller x-request-id and makes one up otherwise', async () => {
    const given = await fetch(`${url('kms')}/health`, { headers: { 'x-request-id': 'e2e-req-1' } });
    expect(given.headers.get('x-request-id')).toBe('e2e-req-1');
    const made = await fetch(`${url('iam')}/health`, { headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves Prometheus metrics', async () => {
    const response = await fetch(`${url('hsm')}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toContain('keyward_http_request_duration_seconds_bucket');
  });

  it('answers an unknown route in each API error format, never 5xx', async () => {
    const kms = await fetch(`${url('kms')}/api/v2/nothing-here`);
    expect(kms.status).toBe(404);
    expect(await kms.json()).toMatchObject({
      metadata: { collectionType: 'application/vnd.ibm.kms.error+json', collectionTotal: 1 },
      resources: [{ reasons: [{ code: 'NOT_FOUND_ERR', status: 404 }] }],
    });
    const iam = await fetch(`${url('iam')}/nothing-here`, { headers: { 'x-request-id': 'e2e-req-2' } });
    expect(iam.status).toBe(404);
    expect(await iam.json()).toEqual({
      errorCode: 'NOT_FOUND_ERR',
      errorMessage: expect.any(String),
      context: { requestId: 'e2e-req-2' },
    });
    const hsm = await fetch(`${url('hsm')}/nothing-here`);
    expect(hsm.status).toBe(404);
    expect(await hsm.json()).toMatchObject({ errors: [{ code: 'NOT_FOUND_ERR' }], trace: expect.any(String) });
  });

  it('a built app with a bad variable stops at once, naming the variable and not its value', () => {
    const run = spawnSync(process.execPath, [builtMainPath(repoRoot(), 'iam')], {
      env: { PATH: process.env['PATH'], KEYWARD_IAM_PORT: 'not-a-port', KEYWARD_ADMIN_APIKEY: 'short' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('KEYWARD_IAM_PORT');
    expect(run.stderr).toContain('KEYWARD_ADMIN_APIKEY: must be at least 20 characters');
    expect(run.stderr).not.toContain('not-a-port');
    expect(run.stdout).toBe('');
  });
});
