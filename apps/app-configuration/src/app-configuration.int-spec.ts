import { isInRollout } from './evaluation/rollout';
import { type AppConfigSuite, startAppConfigSuite } from './testing/app-config-suite';

/** The feature-flag service on real Postgres and NATS, with IAM as built deciding every call by the caller's role on the instance. */
jest.setTimeout(120_000);

describe('App Configuration: environments, collections, features, properties, segments and evaluation', () => {
  let s: AppConfigSuite;
  let guid: string;
  let writer: string;
  let reader: string;
  const base = () => `/apprapp/feature/v1/instances/${guid}`;

  beforeAll(async () => {
    s = await startAppConfigSuite();
    guid = (await s.instance('apprapp', 'lite')).guid;
    writer = await s.userWithRole('Writer', guid);
    reader = await s.userWithRole('Reader', guid);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('lets a Writer build the configuration and a Reader evaluate it', async () => {
    expect((await s.call(writer, 'POST', `${base()}/environments`, { environment_id: 'prod', name: 'Production' })).status).toBe(201);
    expect((await s.call(writer, 'POST', `${base()}/collections`, { collection_id: 'web', name: 'Web app' })).status).toBe(201);
    const segment = await s.call(writer, 'POST', `${base()}/segments`, {
      segment_id: 'staff',
      name: 'Staff',
      rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }],
    });
    expect(segment.status).toBe(201);
    expect((await s.call(writer, 'POST', `${base()}/segments`, { segment_id: 'de', name: 'Germany', rules: [{ attribute_name: 'country', operator: 'in', values: ['DE', 'AT'] }] })).status).toBe(201);
    const feature = await s.call(writer, 'POST', `${base()}/environments/prod/features`, {
      feature_id: 'banner',
      name: 'Banner',
      type: 'STRING',
      enabled_value: 'new',
      disabled_value: 'old',
      enabled: true,
      rollout_percentage: 0,
      segment_rules: [
        { rules: [{ segments: ['staff'] }], value: 'staff', order: 1 },
        { rules: [{ segments: ['de'] }], value: 'german', order: 2 },
      ],
      collections: [{ collection_id: 'web' }],
    });
    expect(feature.status).toBe(201);
    expect(feature.body).toMatchObject({ feature_id: 'banner', enabled: true, collections: [{ collection_id: 'web' }] });
    const property = await s.call(writer, 'POST', `${base()}/environments/prod/properties`, { property_id: 'limit', name: 'Limit', type: 'NUMERIC', value: 10, segment_rules: [{ rules: [{ segments: ['staff'] }], value: 100, order: 1 }] });
    expect(property.status).toBe(201);

    const evaluate = (kind: string, id: string, entity_id: string, entity_attributes: Record<string, unknown>) =>
      s.call(reader, 'POST', `${base()}/environments/prod/${kind}/${id}/evaluate`, { entity_id, entity_attributes });
    expect((await evaluate('features', 'banner', 'u1', { email: 'ann@example.com', country: 'DE' })).body).toMatchObject({ value: 'staff', reason: 'segment' });
    expect((await evaluate('features', 'banner', 'u2', { email: 'bob@example.org', country: 'AT' })).body).toMatchObject({ value: 'german' });
    expect((await evaluate('features', 'banner', 'u3', { email: 'eve@example.org', country: 'FR' })).body).toMatchObject({ value: 'old', reason: 'rollout' });
    expect((await evaluate('properties', 'limit', 'u1', { email: 'ann@example.com' })).body).toMatchObject({ value: 100 });
    expect((await evaluate('properties', 'limit', 'u3', {})).body).toMatchObject({ value: 10, reason: 'default' });

    expect((await s.call(reader, 'GET', `${base()}/segments/staff`)).body).toMatchObject({ segment_id: 'staff', rules: [{ attribute_name: 'email', operator: 'endsWith' }] });
    expect((await s.call(reader, 'GET', `${base()}/environments/prod/features`)).body.total_count).toBe(1);
  });

  it('replaces, disables and deletes features, rolls out by percentage deterministically, and removes an environment with its flags', async () => {
    const quota = { feature_id: 'quota', name: 'Quota', type: 'NUMERIC', enabled_value: 10, disabled_value: 0, enabled: true, rollout_percentage: 50 };
    expect((await s.call(writer, 'POST', `${base()}/environments/prod/features`, quota)).status).toBe(201);
    const evaluate = async (id: string) => (await s.call(reader, 'POST', `${base()}/environments/prod/features/quota/evaluate`, { entity_id: id })).body;
    const ids = Array.from({ length: 24 }, (_, i) => `entity-${i}`);
    const first = await Promise.all(ids.map(evaluate));
    // The documented bucket decides, the same way every time.
    expect(first.map((answer) => answer.value)).toEqual(ids.map((id) => (isInRollout(id, 'quota', 50) ? 10 : 0)));
    expect(new Set(first.map((answer) => answer.value))).toEqual(new Set([0, 10]));
    expect((await Promise.all(ids.map(evaluate))).map((answer) => answer.value)).toEqual(first.map((answer) => answer.value));

    const replaced = await s.call(writer, 'PUT', `${base()}/environments/prod/features/quota`, { ...quota, enabled: false });
    expect(replaced.body).toMatchObject({ feature_id: 'quota', enabled: false, rollout_percentage: 50 });
    expect(await evaluate('entity-1')).toMatchObject({ value: 0, reason: 'disabled', type: 'NUMERIC' });
    expect((await s.call(writer, 'PUT', `${base()}/environments/prod/features/quota`, { ...quota, feature_id: 'other' })).status).toBe(400);
    expect((await s.call(writer, 'PUT', `${base()}/environments/prod/features/missing`, { ...quota, feature_id: 'missing' })).status).toBe(404);
    expect((await s.call(writer, 'DELETE', `${base()}/environments/prod/features/quota`)).status).toBe(204);
    expect((await s.call(reader, 'GET', `${base()}/environments/prod/features/quota`)).status).toBe(404);

    expect((await s.call(writer, 'POST', `${base()}/collections`, { collection_id: 'tmp', name: 'Temporary' })).status).toBe(201);
    expect((await s.call(writer, 'DELETE', `${base()}/collections/tmp`)).status).toBe(204);
    expect((await s.call(reader, 'GET', `${base()}/collections`)).body.collections.map((c: { collection_id: string }) => c.collection_id)).toEqual(['web']);

    expect((await s.call(writer, 'POST', `${base()}/environments`, { environment_id: 'staging', name: 'Staging' })).status).toBe(201);
    expect((await s.call(writer, 'POST', `${base()}/environments/staging/features`, { feature_id: 'flag', name: 'Flag', type: 'BOOLEAN', enabled_value: true, disabled_value: false })).status).toBe(201);
    expect((await s.call(writer, 'DELETE', `${base()}/environments/staging`)).status).toBe(204);
    expect((await s.call(reader, 'GET', `${base()}/environments/staging/features`)).status).toBe(404);
    expect((await s.call(writer, 'POST', `${base()}/environments`, { environment_id: 'staging', name: 'Staging again' })).status).toBe(201);
    expect((await s.call(reader, 'GET', `${base()}/environments/staging/features`)).body.total_count).toBe(0);
    expect((await s.call(writer, 'DELETE', `${base()}/environments/staging`)).status).toBe(204);
  });

  it('refuses a Reader’s edits (403 naming the role), a missing token (401) and an unknown instance (404)', async () => {
    const refused = await s.call(reader, 'POST', `${base()}/environments`, { environment_id: 'dev', name: 'Dev' });
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0]).toMatchObject({ code: 'FORBIDDEN_ERR' });
    expect(refused.body.errors[0].message).toContain('Writer role (apprapp.environments.write)');
    expect((await s.call(undefined, 'GET', `${base()}/segments`)).status).toBe(401);
    expect((await s.call(writer, 'GET', '/apprapp/feature/v1/instances/00000000-0000-4000-8000-000000000000/segments')).status).toBe(404);
    // An instance of another service is not an App Configuration instance.
    const keyProtect = await s.instance('kms', 'standard');
    expect((await s.call(s.admin, 'GET', `/apprapp/feature/v1/instances/${keyProtect.guid}/segments`)).status).toBe(404);
    // A Writer of this instance has no role on another one.
    const other = await s.instance('apprapp', 'lite');
    expect((await s.call(writer, 'GET', `/apprapp/feature/v1/instances/${other.guid}/segments`)).status).toBe(403);
  });

  it('denies each edit to a Reader, the integration to a Writer, and everything to a user without a role, changing nothing', async () => {
    const before = async () =>
      Promise.all(['environments', 'collections', 'segments', 'environments/prod/features', 'environments/prod/properties'].map(async (path) => (await s.call(writer, 'GET', `${base()}/${path}`)).body));
    const snapshot = await before();
    const segment = { segment_id: 'staff', name: 'S', rules: [{ attribute_name: 'a', operator: 'is', values: ['b'] }] };
    const feature = { feature_id: 'banner', name: 'B', type: 'STRING', enabled_value: 'x', disabled_value: 'y' };
    const property = { property_id: 'limit', name: 'L', type: 'NUMERIC', value: 1 };
    const edits: Array<[string, string, unknown, string]> = [
      ['POST', 'environments', { environment_id: 'dev', name: 'Dev' }, 'environments'],
      ['DELETE', 'environments/prod', undefined, 'environments'],
      ['POST', 'collections', { collection_id: 'app', name: 'App' }, 'collections'],
      ['DELETE', 'collections/web', undefined, 'collections'],
      ['POST', 'segments', { ...segment, segment_id: 'new' }, 'segments'],
      ['PUT', 'segments/staff', segment, 'segments'],
      ['DELETE', 'segments/de', undefined, 'segments'],
      ['POST', 'environments/prod/features', { ...feature, feature_id: 'new' }, 'features'],
      ['PUT', 'environments/prod/features/banner', feature, 'features'],
      ['DELETE', 'environments/prod/features/banner', undefined, 'features'],
      ['POST', 'environments/prod/properties', { ...property, property_id: 'new' }, 'properties'],
      ['PUT', 'environments/prod/properties/limit', property, 'properties'],
      ['DELETE', 'environments/prod/properties/limit', undefined, 'properties'],
    ];
    for (const [method, path, body, noun] of edits) {
      const refused = await s.call(reader, method, `${base()}/${path}`, body);
      expect([method, path, refused.status, refused.body.errors[0].code]).toEqual([method, path, 403, 'FORBIDDEN_ERR']);
      expect(refused.body.errors[0].message).toContain(`Writer role (apprapp.${noun}.write)`);
    }
    // Connecting a Key Management integration is a Manager's: a Writer and a Reader are refused before any check of the body.
    for (const token of [reader, writer]) {
      const refused = await s.call(token, 'POST', `${base()}/integrations`, { service: 'kms', root_key_crn: 'x' });
      expect(refused.status).toBe(403);
      expect(refused.body.errors[0].message).toContain('Manager role (apprapp.instance.kms-integration.write)');
    }
    // A Reader reads everything and evaluates; the integrations list is a read.
    for (const path of ['environments', 'collections', 'segments', 'segments/staff', 'environments/prod/features', 'environments/prod/features/banner', 'environments/prod/properties', 'integrations']) {
      expect([path, (await s.call(reader, 'GET', `${base()}/${path}`)).status]).toEqual([path, 200]);
    }
    // A user with a role on another instance only: no read, no evaluation here.
    const stranger = await s.userWithRole('Manager', (await s.instance('apprapp', 'lite')).guid);
    for (const [method, path] of [
      ['GET', 'segments'],
      ['GET', 'environments/prod/features'],
      ['POST', 'environments/prod/features/banner/evaluate'],
      ['GET', 'integrations'],
    ] as const) {
      const refused = await s.call(stranger, method, `${base()}/${path}`, method === 'POST' ? { entity_id: 'u1' } : undefined);
      expect([path, refused.status]).toEqual([path, 403]);
      expect(refused.body.errors[0].message).toContain('Reader role');
    }
    expect(await before()).toEqual(snapshot);
  });

  it('answers malformed rules, unknown attributes and bad values with a 400 naming the field', async () => {
    const bad = async (rules: unknown) => (await s.call(writer, 'POST', `${base()}/segments`, { segment_id: 'bad', name: 'Bad', rules })).body;
    expect(await bad([{ attribute_name: 'email', operator: 'like', values: ['x'] }])).toMatchObject({ errors: [{ code: 'INVALID_SEGMENT_RULE_ERR', target: 'rules.0.operator' }] });
    expect(await bad([{ attribute_name: 'e-mail address', operator: 'is', values: ['x'] }])).toMatchObject({ errors: [{ code: 'INVALID_SEGMENT_RULE_ERR', target: 'rules.0.attribute_name' }] });
    expect(await bad([{ attribute_name: 'age', operator: 'greaterThan', values: ['old'] }])).toMatchObject({ errors: [{ code: 'INVALID_SEGMENT_RULE_ERR' }] });
    const huge = await s.call(writer, 'POST', `${base()}/segments`, { segment_id: 'big', name: 'Big', rules: [{ attribute_name: 'a', operator: 'in', values: Array.from({ length: 100 }, () => 'x'.repeat(250)) }] });
    expect(huge.status).toBe(413);
    expect(huge.body.errors[0]).toMatchObject({ code: 'PAYLOAD_TOO_LARGE_ERR', target: 'rules' });
    // Refused segments were not written.
    for (const id of ['bad', 'big']) expect((await s.call(writer, 'GET', `${base()}/segments/${id}`)).status).toBe(404);
    const wrongType = await s.call(writer, 'POST', `${base()}/environments/prod/features`, { feature_id: 'f', name: 'F', type: 'BOOLEAN', enabled_value: 'yes', disabled_value: false });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors[0].target).toBe('enabled_value');
    const unknownSegment = await s.call(writer, 'POST', `${base()}/environments/prod/features`, {
      feature_id: 'g',
      name: 'G',
      type: 'BOOLEAN',
      enabled_value: true,
      disabled_value: false,
      segment_rules: [{ rules: [{ segments: ['nope'] }], value: true, order: 1 }],
    });
    expect(unknownSegment.body.errors[0]).toMatchObject({ code: 'INVALID_FIELD_ERR', message: 'Segment nope does not exist' });
    expect((await s.call(writer, 'POST', `${base()}/segments`, { segment_id: 'staff', name: 'Again', rules: [{ attribute_name: 'a', operator: 'is', values: ['b'] }] })).status).toBe(409);
    // A segment in use cannot be deleted.
    expect((await s.call(writer, 'DELETE', `${base()}/segments/staff`)).status).toBe(409);
    expect((await s.call(reader, 'POST', `${base()}/environments/prod/features/banner/evaluate`, { entity_attributes: {} })).status).toBe(400);
  });
});
