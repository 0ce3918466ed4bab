import { type NatsConnection, connect } from 'nats';
import { IAM_EVENT_SUBJECTS, IAM_SUBJECTS } from '@keyward/contracts';
import { expectEventually, readTestEnvironment } from '@keyward/testing';
import { type IamSuite, accountOfToken, call, collectEvents, rpc, startIamSuite, tokenFor } from '../test-support/iam-suite';

describe('IAM resource registry over HTTP and NATS', () => {
  let s: IamSuite;
  let nats: NatsConnection;
  let admin: string;
  let account: string;
  let events: ReturnType<typeof collectEvents>;

  beforeAll(async () => {
    s = await startIamSuite();
    nats = await connect({ servers: readTestEnvironment().natsUrl });
    events = collectEvents(nats, s.suite.prefix);
    admin = await tokenFor(s.iam.url, s.suite.adminApiKey);
    account = accountOfToken(admin);
  });

  afterAll(async () => {
    events?.stop();
    await nats?.close();
    await s?.close();
  });

  it('creates an instance with a CRN, publishes it, and serves it over HTTP and NATS', async () => {
    const created = await call(s.iam.url, admin, 'POST', '/v2/resource_instances', { name: 'keys-1', service: 'kms', plan: 'tiered-pricing', target: 'us-south' });
    expect(created.status).toBe(201);
    const instance = created.body as Record<string, string>;
    expect(instance).toEqual({
      guid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      id: instance['crn'],
      crn: `crn:v1:keyward:public:kms:us-south:a/${account}:${instance['guid']}::`,
      name: 'keys-1',
      service: 'kms',
      plan: 'tiered-pricing',
      target: 'us-south',
      resource_group_id: expect.stringMatching(/^[a-f0-9]{32}$/),
      account_id: account,
      parameters: {},
      state: 'active',
      created_at: expect.any(String),
    });
    await expectEventually(() => expect(events.events).toContainEqual({ subject: IAM_EVENT_SUBJECTS.instanceCreated, data: expect.objectContaining({ guid: instance['guid'], crn: instance['crn'] }) }));

    const { id: _id, ...payload } = instance;
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { guid: instance['guid'] })).response).toEqual(payload);
    const bluemixCrn = (instance['crn'] as string).replace(':keyward:', ':bluemix:');
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { crn: bluemixCrn })).response).toEqual(payload);
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { guid: '00000000-0000-4000-8000-000000000000' })).response).toBeNull();
    const listed = (await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceList, { service: 'kms', account_id: account })).response as { guid: string }[];
    expect(listed.map((i) => i.guid)).toContain(instance['guid']);
    const bad = await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { name: 'x' });
    expect(bad.err).toMatchObject({ code: 'BAD_BODY_ERR', status: 400 });

    expect((await call(s.iam.url, admin, 'GET', `/v2/resource_instances/${instance['guid']}`)).body).toEqual(instance);
    const byService = await call(s.iam.url, admin, 'GET', '/v2/resource_instances?service=kms&target=us-south');
    expect((byService.body?.['resources'] as { guid: string }[]).map((i) => i.guid)).toContain(instance['guid']);
    expect((await call(s.iam.url, admin, 'GET', '/v2/resource_instances?service=apprapp')).body?.['resources']).toEqual([]);
  });

  it('deletes an instance into a tombstone: announced, answered as removed only when asked, never listed, its name free again', async () => {
    const created = await call(s.iam.url, admin, 'POST', '/v2/resource_instances', { name: 'cfg-tomb', service: 'apprapp', plan: 'standard', target: 'eu-de' });
    const { id: _id, ...live } = created.body as Record<string, string>;
    const guid = live['guid'] as string;
    const crn = live['crn'] as string;
    expect((await call(s.iam.url, admin, 'DELETE', `/v2/resource_instances/${guid}`)).status).toBe(204);
    const tombstone = { ...live, state: 'removed', removed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) };
    await expectEventually(() => expect(events.events).toContainEqual({ subject: IAM_EVENT_SUBJECTS.instanceDeleted, data: tombstone }));

    // Users and listings: gone.
    expect((await call(s.iam.url, admin, 'GET', `/v2/resource_instances/${guid}`)).status).toBe(404);
    expect((await call(s.iam.url, admin, 'DELETE', `/v2/resource_instances/${guid}`)).status).toBe(404);
    const listed = (await call(s.iam.url, admin, 'GET', '/v2/resource_instances?service=apprapp')).body?.['resources'] as { guid: string }[];
    expect(listed.map((i) => i.guid)).not.toContain(guid);
    const rpcListed = (await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceList, { service: 'apprapp', account_id: account })).response as { guid: string }[];
    expect(rpcListed.map((i) => i.guid)).not.toContain(guid);

    // Services: unknown by default (callers written before tombstones), the tombstone when they ask.
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { guid })).response).toBeNull();
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { crn })).response).toBeNull();
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { guid, include_removed: true })).response).toEqual(tombstone);
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { crn, include_removed: true })).response).toEqual(tombstone);
    // A live instance reads the same with or without the flag.
    const alive = await call(s.iam.url, admin, 'POST', '/v2/resource_instances', { name: 'cfg-tomb', service: 'apprapp', plan: 'standard', target: 'eu-de' });
    expect(alive.status).toBe(201);
    const { id: _aliveId, ...alivePayload } = alive.body as Record<string, string>;
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { guid: alivePayload['guid'], include_removed: true })).response).toEqual(alivePayload);
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { guid: 'nope', include_removed: true })).response).toBeNull();
    expect((await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceGet, { guid, include_removed: 'yes' })).err).toMatchObject({ code: 'BAD_BODY_ERR', status: 400 });

    // The name is free again: the new instance above took it, and it is the one listed under that name.
    expect(alivePayload['guid']).not.toBe(guid);
    const named = ((await call(s.iam.url, admin, 'GET', '/v2/resource_instances?service=apprapp')).body?.['resources'] as { guid: string; name: string }[]).filter((i) => i.name === 'cfg-tomb');
    expect(named.map((i) => i.guid)).toEqual([alivePayload['guid']]);
  });

  it('refuses bad input with a 400 that names the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x', service: 'cloud-object-storage', plan: 'lite', target: 'us-south' }, 'service'],
      [{ name: 'x', service: 'kms', plan: 'lite', target: 'mars-1' }, 'target'],
      [{ name: 'x', service: 'kms', plan: 'lite', target: 'us-south', colour: 'blue' }, ''],
      [{ name: 'x', service: 'kms', plan: 'lite', target: 'us-south', parameters: { hpcs_instance_crn: 'crn:nope' } }, 'parameters.hpcs_instance_crn'],
      [{ name: 'x', service: 'kms', plan: 'lite', target: 'us-south', account_id: 'f'.repeat(32) }, 'account_id'],
    ];
    for (const [body, field] of cases) {
      const response = await call(s.iam.url, admin, 'POST', '/v2/resource_instances', body);
      expect(response.status).toBe(400);
      expect(response.body?.['errorMessage']).toEqual(expect.stringContaining(field));
    }
  });

  it('lets a service create an instance of its own service in a caller’s account, and nothing else', async () => {
    const other = await call(s.iam.url, admin, 'POST', '/v1/accounts', { name: 'customer' });
    expect(other.status).toBe(201);
    const otherAccount = other.body?.['id'] as string;
    const dbaas = await tokenFor(s.iam.url, s.serviceKeys['hyperp-dbaas-postgresql'] as string);
    const cluster = await call(s.iam.url, dbaas, 'POST', '/v2/resource_instances', { name: 'pg-1', service: 'hyperp-dbaas-postgresql', plan: 'standard', target: 'eu-gb', account_id: otherAccount });
    expect(cluster.status).toBe(201);
    expect(cluster.body).toMatchObject({ account_id: otherAccount, resource_group_id: other.body?.['default_resource_group_id'] });
    expect((await call(s.iam.url, dbaas, 'POST', '/v2/resource_instances', { name: 'k', service: 'kms', plan: 'lite', target: 'eu-gb' })).status).toBe(401);
    const seen = await call(s.iam.url, dbaas, 'GET', '/v2/resource_instances');
    expect((seen.body?.['resources'] as { service: string }[]).every((i) => i.service === 'hyperp-dbaas-postgresql')).toBe(true);
    // The admin of the default account has no grant in the customer's account: "not found".
    expect((await call(s.iam.url, admin, 'GET', `/v2/resource_instances/${cluster.body?.['guid'] as string}`)).status).toBe(404);
  });

  it('lists resource groups (Default exists) and places instances in a new one', async () => {
    const groups = await call(s.iam.url, admin, 'GET', '/v2/resource_groups');
    expect(groups.body?.['resources']).toEqual([expect.objectContaining({ name: 'Default', default: true, account_id: account })]);
    const created = await call(s.iam.url, admin, 'POST', '/v2/resource_groups', { name: 'payments' });
    expect(created.status).toBe(201);
    expect((await call(s.iam.url, admin, 'POST', '/v2/resource_groups', { name: 'payments' })).status).toBe(409);
    const instance = await call(s.iam.url, admin, 'POST', '/v2/resource_instances', { name: 'k', service: 'kms', plan: 'lite', target: 'eu-de', resource_group: created.body?.['id'] });
    expect(instance.body?.['resource_group_id']).toBe(created.body?.['id']);
    const foreign = await call(s.iam.url, admin, 'POST', '/v2/resource_instances', { name: 'k', service: 'kms', plan: 'lite', target: 'eu-de', resource_group: 'c'.repeat(32) });
    expect(foreign.status).toBe(404);
  });

  it('shows a user without policies nothing, and refuses creation', async () => {
    const user = await call(s.iam.url, admin, 'POST', '/v1/users', { name: 'nobody' });
    const key = await call(s.iam.url, admin, 'POST', '/v1/apikeys', { name: 'k', iam_id: user.body?.['iam_id'] });
    const token = await tokenFor(s.iam.url, key.body?.['apikey'] as string);
    expect((await call(s.iam.url, token, 'GET', '/v2/resource_instances')).body?.['resources']).toEqual([]);
    expect((await call(s.iam.url, token, 'POST', '/v2/resource_instances', { name: 'x', service: 'kms', plan: 'lite', target: 'us-south' })).status).toBe(401);
    expect((await call(s.iam.url, token, 'GET', '/v2/resource_groups')).body?.['resources']).toEqual([]);
    expect((await call(s.iam.url, token, 'POST', '/v2/resource_groups', { name: 'mine' })).status).toBe(401);
  });
});
