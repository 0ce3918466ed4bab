import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from '../../cli-error';
import { runCli } from '../../program';
import { type FakeAnswer, type SeenRequest, fakeService } from '../../testing/fake-service';
import { testContext } from '../../testing/test-context';
import { enableKmsRequest, kmsInfoRequest, listInstancesRequest } from './schematics-requests';

const PRIMARY = 'crn:v1:keyward:public:kms:us-south:a/acc:11111111-2222-4333-8444-555555555555:key:k1';
const SECONDARY = 'crn:v1:keyward:public:kms:us-east:a/acc:11111111-2222-4333-8444-666666666666:key:k2';

const usage = (fn: () => unknown): CliError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return error as CliError;
  }
  throw new Error('expected a usage error');
};

describe('schematics kms request building', () => {
  it('builds the instances and info queries, normalising location and scheme', () => {
    expect(listInstancesRequest({ location: 'US', scheme: 'byok' })).toEqual({ method: 'GET', path: '/v2/settings/kms/instances', query: { location: 'us', scheme: 'byok' } });
    expect(kmsInfoRequest({ location: 'eu' })).toEqual({ method: 'GET', path: '/v2/settings/kms', query: { location: 'eu' } });
    expect(usage(() => listInstancesRequest({ location: 'mars', scheme: 'byok' })).message).toContain('"mars"');
    expect(usage(() => listInstancesRequest({ location: 'us', scheme: 'xyok' })).message).toContain('"xyok"');
    expect(usage(() => kmsInfoRequest({})).message).toBe('--location is required');
  });

  it('builds the PUT body with the primary, and the secondary only when its flags are given', () => {
    const base = { location: 'us', scheme: 'byok', group: 'default', primary_name: 'p', primary_crn: PRIMARY, primary_endpoint: 'https://kms.example' };
    expect(enableKmsRequest(base)).toEqual({
      method: 'PUT',
      path: '/v2/settings/kms',
      json: { location: 'us', encryption_scheme: 'byok', resource_group: 'default', primary_crk: { kms_name: 'p', key_crn: PRIMARY, kms_private_endpoint: 'https://kms.example' } },
    });
    const both = enableKmsRequest({ ...base, secondary_name: 's', secondary_crn: SECONDARY, secondary_endpoint: 'https://kms2.example' });
    expect(both.json.secondary_crk).toEqual({ kms_name: 's', key_crn: SECONDARY, kms_private_endpoint: 'https://kms2.example' });
    expect(usage(() => enableKmsRequest({ ...base, secondary_crn: SECONDARY })).message).toBe('--secondary_name is required');
    expect(usage(() => enableKmsRequest({ ...base, group: undefined })).message).toBe('--group is required');
    expect(usage(() => enableKmsRequest({ ...base, primary_crn: ' ' })).message).toBe('--primary_crn is required');
  });
});

describe('keyward schematics kms (in-process, against a stand-in Schematics)', () => {
  let service: Awaited<ReturnType<typeof fakeService>>;
  let answer: (request: SeenRequest) => FakeAnswer;

  beforeAll(async () => {
    service = await fakeService((request) => answer(request));
  });
  afterAll(async () => {
    await service.close();
    rmSync(dirname(service.configDir), { recursive: true, force: true });
  });
  beforeEach(() => {
    service.seen.length = 0;
  });

  const run = async (args: string[]) => {
    const ctx = testContext({ KEYWARD_CONFIG_DIR: service.configDir });
    const code = await runCli(args, ctx);
    return { code, out: ctx.stdout.join('\n'), err: ctx.stderr.join('\n') };
  };
  const settings = { location: 'us', encryption_scheme: 'byok', resource_group: 'default', primary_crk: { kms_name: 'p', key_crn: PRIMARY, kms_private_endpoint: 'https://kms.example' } };

  it('lists instances with their root keys', async () => {
    answer = () => ({ status: 200, body: { total_count: 1, kms_instances: [{ kms_name: 'kp-1', kms_crn: 'crn:kp-1', kms_private_endpoint: 'https://kms.example', keys: [{ name: 'root', crn: PRIMARY }] }] } });
    const result = await run(['schematics', 'kms', 'instances', 'ls', '--location', 'us', '--scheme', 'byok']);
    expect(result.code).toBe(0);
    expect(service.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v2/settings/kms/instances?location=us&scheme=byok']);
    expect(service.seen[0]?.headers.authorization).toBe('Bearer access-token-secret');
    expect(result.out).toMatch(/kp-1\s+crn:kp-1\s+https:\/\/kms\.example\s+root\s+crn:v1/);
  });

  it('enables with the seed’s flags and shows the settings; info reads them back', async () => {
    answer = () => ({ status: 200, body: settings });
    const enabled = await run([
      'schematics', 'kms', 'enable', '--location', 'us', '--scheme', 'byok', '--group', 'default',
      '--primary_name', 'p', '--primary_crn', PRIMARY, '--primary_endpoint', 'https://kms.example',
    ]);
    expect(enabled.code).toBe(0);
    expect(service.seen[0]).toMatchObject({ method: 'PUT', url: '/v2/settings/kms', body: settings });
    expect(enabled.out).toContain('Enabled byok for location us.');
    const info = await run(['schematics', 'kms', 'info', '--location', 'us', '--output', 'json']);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.out)).toEqual(settings);
  });

  it('shows the service’s refusal of a second change (409) and exits 4', async () => {
    answer = () => ({ status: 409, body: { errors: [{ code: 'CONFLICT_ERR', message: 'KMS settings for location us are a one-time setting and are already enabled: to update them, open a support request' }], trace: 't' } });
    const result = await run(['schematics', 'kms', 'enable', '--location', 'us', '--scheme', 'byok', '--group', 'g', '--primary_name', 'p', '--primary_crn', PRIMARY, '--primary_endpoint', 'https://k']);
    expect(result.code).toBe(4);
    expect(result.err).toContain('support request');
  });

  it('workspace create sends plain and secure variables; variables shows the values; delete needs -f without a terminal', async () => {
    answer = (request) =>
      request.method === 'POST'
        ? { status: 201, body: { id: 'us-w1', crn: 'crn:w1', name: 'ws', location: 'us', variables: [], encryption: [{ role: 'primary', key_crn: PRIMARY, key_version: 'v1' }, { role: 'secondary', key_crn: SECONDARY, key_version: 'v2' }] } }
        : { status: 200, body: { variables: [{ name: 'db_password', value: 'correct-horse', secure: true }] } };
    const created = await run(['schematics', 'workspace', 'create', 'ws', '--location', 'US', '--var', 'region=us-south', '--secure-var', 'db_password=correct-horse']);
    expect(created.code).toBe(0);
    expect(service.seen[0]).toMatchObject({ method: 'POST', url: '/v1/workspaces', body: { name: 'ws', location: 'us', resource_group: 'default', variables: [{ name: 'region', value: 'us-south', secure: false }, { name: 'db_password', value: 'correct-horse', secure: true }] } });
    expect(created.out).toMatch(/secondary key:\s+crn:v1/);
    expect((await run(['schematics', 'workspace', 'variables', 'us-w1'])).out).toMatch(/db_password\s+correct-horse\s+true/);
    service.seen.length = 0;
    expect((await run(['schematics', 'workspace', 'delete', 'us-w1'])).code).toBe(2);
    expect((await run(['schematics', 'workspace', 'create', 'ws', '--location', 'us', '--secure-var', 'novalue'])).code).toBe(2);
    expect(service.seen).toHaveLength(0);
  });

  it('refuses an unknown scheme before calling anything (exit 2)', async () => {
    const result = await run(['schematics', 'kms', 'instances', 'ls', '--location', 'us', '--scheme', 'xyok']);
    expect(result.code).toBe(2);
    expect(service.seen).toHaveLength(0);
  });
});
