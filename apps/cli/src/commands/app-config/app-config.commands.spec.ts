import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from '../../cli-error';
import { runCli } from '../../program';
import { type FakeAnswer, type SeenRequest, fakeService } from '../../testing/fake-service';
import { testContext } from '../../testing/test-context';
import { entityAttributes, featureBody, integrationBody, segmentRule } from './app-config-requests';

const APP = '11111111-2222-4333-8444-555555555555';
const KP = '11111111-2222-4333-8444-666666666666';
const KEY_CRN = `crn:v1:keyward:public:kms:us-south:a/${'b'.repeat(32)}:${KP}:key:k1`;
const HPCS_CRN = `crn:v1:keyward:public:hs-crypto:us-south:a/${'b'.repeat(32)}:${KP}:key:k1`;

const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return (error as CliError).message;
  }
  throw new Error('expected a usage error');
};

describe('app-config request building', () => {
  it('takes the KMS service from the key CRN unless --service says otherwise, and refuses an unknown one', () => {
    expect(integrationBody({ rootKeyCrn: KEY_CRN })).toEqual({ service: 'kms', root_key_crn: KEY_CRN });
    expect(integrationBody({ rootKeyCrn: HPCS_CRN, kmsInstanceId: KP })).toEqual({ service: 'hs-crypto', root_key_crn: HPCS_CRN, kms_instance_id: KP });
    expect(integrationBody({ rootKeyCrn: KEY_CRN, service: 'hpcs' }).service).toBe('hs-crypto');
    expect(integrationBody({ rootKeyCrn: HPCS_CRN, service: 'kp' }).service).toBe('kms');
    expect(usage(() => integrationBody({ rootKeyCrn: KEY_CRN, service: 'vault' }))).toContain('"vault"');
    expect(usage(() => integrationBody({ rootKeyCrn: 'not-a-crn' }))).toContain('Unknown KMS service');
  });

  it('types --attr values and parses --rule', () => {
    expect(entityAttributes(['email=a@b.c', 'age=42', 'beta=true', 'note=a=b'])).toEqual({ email: 'a@b.c', age: 42, beta: true, note: 'a=b' });
    expect(usage(() => entityAttributes(['novalue']))).toContain('name=value');
    expect(segmentRule('email endsWith @example.com,@example.org')).toEqual({ attribute_name: 'email', operator: 'endsWith', values: ['@example.com', '@example.org'] });
    expect(segmentRule('age greaterThan 18')).toEqual({ attribute_name: 'age', operator: 'greaterThan', values: [18] });
    expect(usage(() => segmentRule('email'))).toContain('ATTRIBUTE OPERATOR VALUE');
  });

  it('builds a feature with typed values, defaults and ordered segment rules', () => {
    expect(featureBody('beta', { segmentRule: ['staff=true', 'a+b=false'], enabled: true, rollout: '0' })).toEqual({
      feature_id: 'beta',
      name: 'beta',
      type: 'BOOLEAN',
      enabled_value: true,
      disabled_value: false,
      enabled: true,
      rollout_percentage: 0,
      segment_rules: [
        { rules: [{ segments: ['staff'] }], value: true, order: 1 },
        { rules: [{ segments: ['a', 'b'] }], value: false, order: 2 },
      ],
    });
    expect(featureBody('n', { type: 'numeric', segmentRule: [] })).toMatchObject({ type: 'NUMERIC', enabled_value: 1, disabled_value: 0 });
    expect(usage(() => featureBody('x', { segmentRule: [], enabledValue: 'yes' }))).toContain('true or false');
    expect(usage(() => featureBody('x', { segmentRule: [], rollout: '101' }))).toContain('--rollout');
    expect(usage(() => featureBody('x', { segmentRule: [], type: 'JSON' }))).toContain('"JSON"');
  });
});

describe('keyward app-config (in-process, against a stand-in App Configuration)', () => {
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
  const base = `/apprapp/feature/v1/instances/${APP}`;

  it('integration create posts the key CRN and service; a root key id is looked up at the KMS instance', async () => {
    answer = (request) =>
      request.url.startsWith('/api/v2/keys/')
        ? { status: 200, body: { metadata: {}, resources: [{ id: 'k1', crn: KEY_CRN }] } }
        : { status: 201, body: { service_name: 'Key Protect', root_key_id: 'k1', root_key_crn: KEY_CRN, key_state: 'active', kms_instance_id: KP } };
    const result = await run(['app-config', 'integration', 'create', '-i', APP, '--root-key', 'k1', '--kms-instance', KP]);
    expect(result.code).toBe(0);
    expect(service.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/v2/keys/k1/metadata', `POST ${base}/integrations`]);
    expect(service.seen[0]?.headers['bluemix-instance']).toBe(KP);
    expect(service.seen[1]?.body).toEqual({ service: 'kms', root_key_crn: KEY_CRN, kms_instance_id: KP });
    expect(result.out).toContain('segment data is now encrypted with root key k1');
  });

  it('a root key id without --kms-instance is a usage error before anything is sent', async () => {
    const result = await run(['app-config', 'integration', 'create', '-i', APP, '--root-key', 'k1']);
    expect(result.code).toBe(2);
    expect(service.seen).toHaveLength(0);
  });

  it('shows the refusal of a missing authorization (403) as exit 4 with its message', async () => {
    answer = () => ({ status: 403, body: { errors: [{ code: 'KMS_AUTHORIZATION_MISSING_ERR', message: 'run keyward iam authorization-policy-create apprapp kms Reader' }], trace: 't' } });
    const result = await run(['app-config', 'integration', 'create', '-i', APP, '--root-key', KEY_CRN]);
    expect(result.code).toBe(4);
    expect(result.err).toContain('authorization-policy-create apprapp kms Reader');
  });

  it('lists integrations, segments and features; creates a segment and a feature; evaluates', async () => {
    answer = (request) => {
      if (request.url.endsWith('/integrations')) return { status: 200, body: { integrations: [{ service_name: 'Key Protect', root_key_id: 'k1', key_state: 'disabled' }], total_count: 1 } };
      if (request.url.endsWith('/segments') && request.method === 'GET') return { status: 200, body: { segments: [{ segment_id: 'staff', name: 'Staff', rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }] }] } };
      if (request.url.endsWith('/features') && request.method === 'GET') return { status: 200, body: { features: [{ feature_id: 'beta', type: 'BOOLEAN', enabled: true, enabled_value: true, disabled_value: false, rollout_percentage: 0, segment_rules: [{ rules: [{ segments: ['staff'] }], value: true, order: 1 }] }] } };
      if (request.url.endsWith('/evaluate')) return { status: 200, body: { value: true, reason: 'segment', segment_rule_order: 1 } };
      return { status: 201, body: { ...(request.body as object), rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }] } };
    };
    expect((await run(['app-config', 'integrations', '-i', APP])).out).toMatch(/Key state:\s+disabled/);
    expect((await run(['app-config', 'segments', '-i', APP])).out).toMatch(/staff\s+Staff\s+email endsWith @example.com/);
    expect((await run(['app-config', 'features', '-i', APP, '-e', 'prod'])).out).toMatch(/beta\s+BOOLEAN\s+true\s+true \/ false\s+0%\s+staff=true/);
    expect((await run(['app-config', 'segment', 'create', 'staff', '-i', APP, '--rule', 'email endsWith @example.com'])).code).toBe(0);
    expect((await run(['app-config', 'feature', 'create', 'beta', '-i', APP, '-e', 'prod', '--enabled', '--segment-rule', 'staff=true'])).code).toBe(0);
    const evaluated = await run(['app-config', 'evaluate', 'beta', '-i', APP, '-e', 'prod', '--entity', 'alice', '--attr', 'email=alice@example.com', '--attr', 'age=30']);
    expect(evaluated.out).toMatch(/Value:\s+true/);
    expect(evaluated.out).toMatch(/Reason:\s+segment \(segment rule 1\)/);
    const sent = service.seen.filter((r) => r.method === 'POST').map((r) => [r.url, r.body]);
    expect(sent).toEqual([
      [`${base}/segments`, { segment_id: 'staff', name: 'staff', rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }] }],
      [`${base}/environments/prod/features`, expect.objectContaining({ feature_id: 'beta', enabled: true, segment_rules: [{ rules: [{ segments: ['staff'] }], value: true, order: 1 }] })],
      [`${base}/environments/prod/features/beta/evaluate`, { entity_id: 'alice', entity_attributes: { email: 'alice@example.com', age: 30 } }],
    ]);
  });

  it('a segment without --rule and an evaluation without --entity are usage errors (exit 2)', async () => {
    expect((await run(['app-config', 'segment', 'create', 'staff', '-i', APP])).code).toBe(2);
    expect((await run(['app-config', 'evaluate', 'beta', '-i', APP, '-e', 'prod'])).code).toBe(2);
    expect(service.seen).toHaveLength(0);
  });
});
