import IamPolicyManagementV1 = require('@ibm-cloud/platform-services/iam-policy-management/v1');
import { IamAuthenticator } from 'ibm-cloud-sdk-core';
import { type NatsConnection, connect } from 'nats';
import { Client } from 'pg';
import { IAM_EVENT_SUBJECTS, IAM_SUBJECTS } from '@keyward/contracts';
import { expectEventually, readTestEnvironment } from '@keyward/testing';
import { type IamSuite, accountOfToken, call, collectEvents, rpc, startIamSuite, tokenFor } from '../test-support/iam-suite';

const READER = 'crn:v1:bluemix:public:iam::::serviceRole:Reader';
const WRITER = 'crn:v1:bluemix:public:iam::::serviceRole:Writer';

describe('IAM policies and decisions over HTTP and NATS', () => {
  let s: IamSuite;
  let nats: NatsConnection;
  let db: Client;
  let admin: string;
  let account: string;
  let events: ReturnType<typeof collectEvents>;
  let kp: { guid: string; crn: string };
  let app: { guid: string; crn: string };
  let sdk: IamPolicyManagementV1;

  const check = (source: { serviceName: string; serviceInstance?: string; accountId?: string }, action = 'kms.secrets.wrap', target = kp.guid) => ({
    subject: { accountId: account, ...source },
    action,
    resource: { serviceName: 'kms', accountId: account, serviceInstance: target },
  });
  const decide = async (request: unknown) => (await rpc(nats, s.suite.prefix, IAM_SUBJECTS.authzCheck, request)).response as { decision: string; policyId?: string };
  const policyCount = async () => Number((await db.query("SELECT count(*) FROM policies WHERE state = 'active'")).rows[0].count);

  beforeAll(async () => {
    s = await startIamSuite();
    nats = await connect({ servers: readTestEnvironment().natsUrl });
    db = new Client({ connectionString: s.suite.databases.iam?.url });
    await db.connect();
    events = collectEvents(nats, s.suite.prefix);
    admin = await tokenFor(s.iam.url, s.suite.adminApiKey);
    account = accountOfToken(admin);
    kp = (await call(s.iam.url, admin, 'POST', '/v2/resource_instances', { name: 'kp', service: 'kms', plan: 'tiered-pricing', target: 'us-south' })).body as typeof kp;
    app = (await call(s.iam.url, admin, 'POST', '/v2/resource_instances', { name: 'cfg', service: 'apprapp', plan: 'standard', target: 'us-south' })).body as typeof app;
    sdk = new IamPolicyManagementV1({ authenticator: new IamAuthenticator({ apikey: s.suite.adminApiKey, url: s.iam.url }), serviceUrl: s.iam.url });
  });

  afterAll(async () => {
    events?.stop();
    await db?.end();
    await nats?.close();
    await s?.close();
  });

  it('the official IAM Policy Management client creates, reads, replaces and deletes an authorization', async () => {
    expect(await decide(check({ serviceName: 'apprapp', serviceInstance: app.guid }))).toEqual({ decision: 'deny' });

    const created = await sdk.createPolicy({
      type: 'authorization',
      subjects: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }, { name: 'serviceInstance', value: app.guid }] }],
      roles: [{ role_id: READER }],
      resources: [{ attributes: [{ name: 'accountId', value: account, operator: 'stringEquals' }, { name: 'serviceName', value: 'kms', operator: 'stringEquals' }, { name: 'serviceInstance', value: kp.guid }] }],
    });
    expect(created.status).toBe(201);
    const policy = created.result;
    expect(policy).toMatchObject({ type: 'authorization', state: 'active', roles: [{ role_id: 'crn:v1:keyward:public:iam::::serviceRole:Reader', display_name: 'Reader' }] });
    const id = policy.id as string;
    await expectEventually(() =>
      expect(events.events).toContainEqual({ subject: IAM_EVENT_SUBJECTS.policyChanged, data: { policyId: id, type: 'authorization', change: 'created', accountId: account } }),
    );
    expect(await decide(check({ serviceName: 'apprapp', serviceInstance: app.guid }))).toEqual({ decision: 'allow', policyId: id });
    // Only that source instance and only Reader actions.
    expect(await decide(check({ serviceName: 'apprapp', serviceInstance: '00000000-0000-4000-8000-000000000000' }))).toEqual({ decision: 'deny' });
    expect(await decide(check({ serviceName: 'apprapp', serviceInstance: app.guid }, 'kms.secrets.create'))).toEqual({ decision: 'deny' });

    const read = await sdk.getPolicy({ policyId: id });
    expect(read.result.subjects?.[0]?.attributes).toContainEqual({ name: 'serviceInstance', value: app.guid });
    const etag = read.headers['etag'] as string;
    expect(etag).toBeTruthy();

    await expect(
      sdk.replacePolicy({ policyId: id, ifMatch: '"999-stale"', type: 'authorization', subjects: read.result.subjects ?? [], roles: [{ role_id: WRITER }], resources: read.result.resources ?? [] }),
    ).rejects.toMatchObject({ status: 412 });
    const replaced = await sdk.replacePolicy({ policyId: id, ifMatch: etag, type: 'authorization', subjects: read.result.subjects ?? [], roles: [{ role_id: WRITER }], resources: read.result.resources ?? [] });
    expect(replaced.status).toBe(200);
    expect(replaced.headers['etag']).not.toBe(etag);
    expect(await decide(check({ serviceName: 'apprapp', serviceInstance: app.guid }, 'kms.secrets.create'))).toEqual({ decision: 'allow', policyId: id });

    const deleted = await sdk.deletePolicy({ policyId: id });
    expect(deleted.status).toBe(204);
    await expect(sdk.getPolicy({ policyId: id })).rejects.toMatchObject({ status: 404 });
    expect(await decide(check({ serviceName: 'apprapp', serviceInstance: app.guid }))).toEqual({ decision: 'deny' });
    await expectEventually(() =>
      expect(events.events).toContainEqual({ subject: IAM_EVENT_SUBJECTS.policyChanged, data: { policyId: id, type: 'authorization', change: 'deleted', accountId: account } }),
    );
  });

  it('takes the v2 shape, decides over POST /v2/authz and check-batch, and fills in resource groups', async () => {
    const groupId = app.crn && ((await call(s.iam.url, admin, 'GET', `/v2/resource_instances/${app.guid}`)).body?.['resource_group_id'] as string);
    const created = await call(s.iam.url, admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'apprapp' }, { key: 'resourceGroupId', operator: 'stringEquals', value: groupId }] },
      resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'kms' }] },
      control: { grant: { roles: [{ role_id: READER }] } },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBeTruthy();
    expect(created.body).toMatchObject({ control: { grant: { roles: [{ role_id: 'crn:v1:keyward:public:iam::::serviceRole:Reader' }] } }, href: expect.stringContaining('/v2/policies/') });
    const id = created.body?.['id'] as string;

    // The subject names only the instance: IAM knows its resource group.
    const allowed = check({ serviceName: 'apprapp', serviceInstance: app.guid });
    const denied = check({ serviceName: 'schematics' });
    const dbaasToken = await tokenFor(s.iam.url, s.serviceKeys['apprapp'] as string);
    const http = await call(s.iam.url, dbaasToken, 'POST', '/v2/authz', allowed);
    expect(http.status).toBe(200);
    expect(http.body).toEqual({ decision: 'allow', policyId: id });
    const batch = await rpc(nats, s.suite.prefix, IAM_SUBJECTS.authzCheckBatch, [allowed, denied, allowed]);
    expect(batch.response).toEqual([{ decision: 'allow', policyId: id }, { decision: 'deny' }, { decision: 'allow', policyId: id }]);

    const v1View = await call(s.iam.url, admin, 'GET', `/v1/policies/${id}`);
    expect(v1View.body?.['subjects']).toEqual([{ attributes: expect.arrayContaining([{ name: 'resourceGroupId', value: groupId }]) }]);
    const list = await call(s.iam.url, admin, 'GET', `/v1/policies?account_id=${account}&type=authorization`);
    expect((list.body?.['policies'] as { id: string }[]).map((p) => p.id)).toContain(id);
    expect((await call(s.iam.url, admin, 'DELETE', `/v2/policies/${id}`)).status).toBe(204);
  });

  it('delegation grants the dependent service too, and goes with the authorization', async () => {
    const cluster = '55555555-5555-4555-8555-555555555555';
    const created = await call(s.iam.url, admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'hyperp-dbaas-postgresql' }] },
      resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'kms' }] },
      control: { grant: { roles: [{ role_id: READER }] } },
      delegate_dependents: true,
    });
    expect(created.status).toBe(201);
    const id = created.body?.['id'] as string;
    const backup = await decide(check({ serviceName: 'hyperp-dbaas-backup', serviceInstance: cluster }));
    expect(backup.decision).toBe('allow');
    expect(backup.policyId).not.toBe(id);
    const child = await call(s.iam.url, admin, 'GET', `/v2/policies/${backup.policyId as string}`);
    expect(child.body).toMatchObject({ delegated_from: id });
    expect((await call(s.iam.url, admin, 'DELETE', `/v2/policies/${backup.policyId as string}`)).status).toBe(409);
    expect(await decide(check({ serviceName: 'hyperp-dbaas-backup', serviceInstance: cluster }, 'kms.secrets.create'))).toEqual({ decision: 'deny' });

    // Replacing the parent replaces its delegated grant too.
    const replaced = await call(
      s.iam.url,
      admin,
      'PUT',
      `/v2/policies/${id}`,
      {
        type: 'authorization',
        subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'hyperp-dbaas-postgresql' }] },
        resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'kms' }] },
        control: { grant: { roles: [{ role_id: WRITER }] } },
        delegate_dependents: true,
      },
      { 'if-match': created.headers.get('etag') as string },
    );
    expect(replaced.status).toBe(200);
    const afterReplace = await decide(check({ serviceName: 'hyperp-dbaas-backup', serviceInstance: cluster }, 'kms.secrets.create'));
    expect(afterReplace.decision).toBe('allow');
    expect(afterReplace.policyId).not.toBe(backup.policyId);
    expect((await call(s.iam.url, admin, 'GET', `/v2/policies/${backup.policyId as string}`)).status).toBe(404);

    expect((await call(s.iam.url, admin, 'DELETE', `/v2/policies/${id}`)).status).toBe(204);
    expect(await decide(check({ serviceName: 'hyperp-dbaas-backup', serviceInstance: cluster }))).toEqual({ decision: 'deny' });
    expect(await decide(check({ serviceName: 'hyperp-dbaas-postgresql', serviceInstance: cluster }))).toEqual({ decision: 'deny' });
  });

  it('grants a source service in another account only when the policy names that account', async () => {
    const other = await call(s.iam.url, admin, 'POST', '/v1/accounts', { name: 'customer-b' });
    const accountB = other.body?.['id'] as string;
    const apprapp = await tokenFor(s.iam.url, s.serviceKeys['apprapp'] as string);
    const appB = (await call(s.iam.url, apprapp, 'POST', '/v2/resource_instances', { name: 'cfg-b', service: 'apprapp', plan: 'standard', target: 'eu-de', account_id: accountB })).body as { guid: string };
    const fromB = { subject: { serviceName: 'apprapp', serviceInstance: appB.guid, accountId: accountB }, action: 'kms.secrets.unwrap', resource: { serviceName: 'kms', accountId: account, serviceInstance: kp.guid } };
    expect(await decide(fromB)).toEqual({ decision: 'deny' });

    const created = await call(s.iam.url, admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: accountB }, { key: 'serviceName', operator: 'stringEquals', value: 'apprapp' }] },
      resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'kms' }, { key: 'serviceInstance', operator: 'stringEquals', value: kp.guid }] },
      control: { grant: { roles: [{ role_id: READER }] } },
    });
    expect(created.status).toBe(201);
    expect(await decide(fromB)).toEqual({ decision: 'allow', policyId: created.body?.['id'] });
    // The same service in this account, or B's instance claimed to be in this account: not granted.
    expect(await decide({ ...fromB, subject: { ...fromB.subject, accountId: account } })).toEqual({ decision: 'deny' });
    expect(await decide({ ...fromB, resource: { ...fromB.resource, serviceInstance: '00000000-0000-4000-8000-000000000001' } })).toEqual({ decision: 'deny' });
    // A service token administers nothing: the policy is "not found" to it.
    expect((await call(s.iam.url, apprapp, 'DELETE', `/v2/policies/${created.body?.['id'] as string}`)).status).toBe(404);
    expect((await call(s.iam.url, admin, 'DELETE', `/v2/policies/${created.body?.['id'] as string}`)).status).toBe(204);
  });

  it('refuses bad policies with a 4xx and a message, writing nothing', async () => {
    const before = await policyCount();
    const base = {
      type: 'authorization',
      subjects: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }] }],
      roles: [{ role_id: READER }],
      resources: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'kms' }] }],
    };
    const bad: [unknown, RegExp][] = [
      [{ ...base, subjects: [{ attributes: [{ name: 'serviceName', value: 'apprapp' }] }] }, /source accountId/],
      [{ ...base, subjects: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }, { name: 'flavour', value: 'x' }] }] }, /flavour/],
      [{ ...base, roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Superuser' }] }, /Superuser/],
      [{ ...base, resources: [{ attributes: [{ name: 'accountId', value: 'nope' }, { name: 'serviceName', value: 'kms' }] }] }, /accountId/],
      [{ ...base, subjects: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }, { name: 'serviceInstance', value: 'crn:v1:bluemix:x' }] }] }, /serviceInstance/],
      [{ ...base, type: 'access' }, /iam_id/],
    ];
    for (const [body, message] of bad) {
      const response = await call(s.iam.url, admin, 'POST', '/v1/policies', body);
      expect(response.status).toBe(400);
      expect(response.body?.['errorMessage']).toMatch(message);
    }
    const created = await call(s.iam.url, admin, 'POST', '/v1/policies', base);
    const id = created.body?.['id'] as string;
    const stale = await call(s.iam.url, admin, 'PUT', `/v1/policies/${id}`, { ...base, roles: [{ role_id: WRITER }] }, { 'if-match': '"0-00000000"' });
    expect(stale.status).toBe(412);
    expect((await call(s.iam.url, admin, 'PUT', `/v1/policies/${id}`, base)).status).toBe(428);
    expect(await policyCount()).toBe(before + 1);
    expect((await call(s.iam.url, admin, 'GET', `/v1/policies/${id}`)).body?.['roles']).toEqual([{ role_id: 'crn:v1:keyward:public:iam::::serviceRole:Reader', display_name: 'Reader' }]);
    expect((await call(s.iam.url, admin, 'DELETE', `/v1/policies/${id}`)).status).toBe(204);
  });

  it('a user who administers nothing can neither create nor see policies, nor ask about others', async () => {
    const user = await call(s.iam.url, admin, 'POST', '/v1/users', { name: 'mallory' });
    const key = await call(s.iam.url, admin, 'POST', '/v1/apikeys', { name: 'k', iam_id: user.body?.['iam_id'] });
    const token = await tokenFor(s.iam.url, key.body?.['apikey'] as string);
    const base = {
      type: 'authorization',
      subjects: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }] }],
      roles: [{ role_id: READER }],
      resources: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'kms' }] }],
    };
    expect((await call(s.iam.url, token, 'POST', '/v1/policies', base)).status).toBe(401);
    expect((await call(s.iam.url, token, 'GET', `/v1/policies?account_id=${account}`)).status).toBe(401);
    expect((await call(s.iam.url, token, 'POST', '/v2/authz', check({ serviceName: 'apprapp' }))).status).toBe(401);
    const self = await call(s.iam.url, token, 'POST', '/v2/authz', {
      subject: { iam_id: user.body?.['iam_id'], accountId: account },
      action: 'kms.secrets.wrap',
      resource: { serviceName: 'kms', accountId: account, serviceInstance: kp.guid },
    });
    expect(self.body).toEqual({ decision: 'deny' });
  });

  it('lets a caller ask /v2/authz only about itself, unless it administers the account', async () => {
    const user = await call(s.iam.url, admin, 'POST', '/v1/users', { name: 'prober' });
    const key = await call(s.iam.url, admin, 'POST', '/v1/apikeys', { name: 'k', iam_id: user.body?.['iam_id'] });
    const prober = await tokenFor(s.iam.url, key.body?.['apikey'] as string);
    const self = { iam_id: user.body?.['iam_id'] as string, accountId: account };
    const ask = (token: string, subject: Record<string, string>) =>
      call(s.iam.url, token, 'POST', '/v2/authz', { subject, action: 'kms.secrets.wrap', resource: { serviceName: 'kms', accountId: account, serviceInstance: kp.guid } });
    expect((await ask(prober, self)).status).toBe(200);
    // Its own iam_id dressed up as a service, an instance or a group probes authorization policies.
    expect((await ask(prober, { ...self, serviceName: 'apprapp' })).status).toBe(401);
    expect((await ask(prober, { ...self, serviceName: 'apprapp', serviceInstance: app.guid })).status).toBe(401);
    expect((await ask(prober, { ...self, resourceGroupId: 'a'.repeat(32) })).status).toBe(401);
    expect((await ask(prober, { ...self, accountId: 'b'.repeat(32) })).status).toBe(401);
    // A service asks about its own service (and those it acts for), not about others or users.
    const apprapp = await tokenFor(s.iam.url, s.serviceKeys['apprapp'] as string);
    expect((await ask(apprapp, { serviceName: 'apprapp', accountId: account, serviceInstance: app.guid })).status).toBe(200);
    expect((await ask(apprapp, { serviceName: 'schematics', accountId: account })).status).toBe(401);
    expect((await ask(apprapp, { serviceName: 'apprapp', iam_id: self.iam_id, accountId: account })).status).toBe(401);
    expect((await ask(apprapp, self)).status).toBe(401);
    const backup = await tokenFor(s.iam.url, s.serviceKeys['hyperp-dbaas-backup'] as string);
    expect((await ask(backup, { serviceName: 'hyperp-dbaas-postgresql', accountId: account })).status).toBe(200);
    // The account's administrator may ask about anyone.
    expect((await ask(admin, { serviceName: 'schematics', accountId: account })).status).toBe(200);
    expect((await ask(admin, { ...self, serviceName: 'apprapp' })).status).toBe(200);
  });

  it('answers 409 POLICY_CONFLICT_ERR to an identical policy, however it is spelled and however many race', async () => {
    const v2 = (roles: string[], extra: Record<string, unknown> = {}) => ({
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'schematics' }] },
      resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'apprapp' }] },
      control: { grant: { roles: roles.map((role_id) => ({ role_id })) } },
      ...extra,
    });
    const before = await policyCount();
    const racing = await Promise.all(Array.from({ length: 6 }, () => call(s.iam.url, admin, 'POST', '/v2/policies', v2([READER, WRITER]))));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const created = racing.find((r) => r.status === 201)?.body?.['id'] as string;
    expect(racing.find((r) => r.status === 409)?.body?.['errorCode']).toBe('POLICY_CONFLICT_ERR');
    // The same policy in the other order, with keyward role CRNs, a description, or in the v1 shape.
    const again = await call(s.iam.url, admin, 'POST', '/v2/policies', v2([WRITER.replace('bluemix', 'keyward'), READER], { description: 'again' }));
    expect(again.status).toBe(409);
    const v1 = await call(s.iam.url, admin, 'POST', '/v1/policies', {
      type: 'authorization',
      subjects: [{ attributes: [{ name: 'serviceName', value: 'schematics' }, { name: 'accountId', value: account }] }],
      roles: [{ role_id: READER }, { role_id: WRITER }],
      resources: [{ attributes: [{ name: 'accountId', value: account }, { name: 'serviceName', value: 'apprapp' }] }],
    });
    expect(v1.status).toBe(409);
    expect(await policyCount()).toBe(before + 1);
    // Different roles are a different policy; updating it into a copy of the first is a conflict too.
    const other = await call(s.iam.url, admin, 'POST', '/v2/policies', v2([READER]));
    expect(other.status).toBe(201);
    const updated = await call(s.iam.url, admin, 'PUT', `/v2/policies/${other.body?.['id'] as string}`, v2([READER, WRITER]), { 'if-match': other.headers.get('etag') as string });
    expect(updated.status).toBe(409);
    expect(updated.body?.['errorCode']).toBe('POLICY_CONFLICT_ERR');
    // Once the first is deleted, the same policy may be created again.
    expect((await call(s.iam.url, admin, 'DELETE', `/v2/policies/${created}`)).status).toBe(204);
    const recreated = await call(s.iam.url, admin, 'POST', '/v2/policies', v2([READER, WRITER]));
    expect(recreated.status).toBe(201);
    for (const id of [recreated.body?.['id'], other.body?.['id']] as string[]) expect((await call(s.iam.url, admin, 'DELETE', `/v2/policies/${id}`)).status).toBe(204);
  });

  it('writes an audit record for every policy change and every denied decision', async () => {
    await expectEventually(async () => {
      const rows = (await db.query('SELECT kind, outcome, detail FROM audit_records')).rows as { kind: string; outcome: string; detail: Record<string, unknown> }[];
      expect(rows.filter((r) => r.kind === 'policy.change' && r.outcome === 'created').length).toBeGreaterThanOrEqual(4);
      expect(rows.filter((r) => r.kind === 'policy.change' && r.outcome === 'updated').length).toBeGreaterThanOrEqual(1);
      expect(rows.filter((r) => r.kind === 'policy.change' && r.outcome === 'deleted').length).toBeGreaterThanOrEqual(5);
      expect(rows.some((r) => r.kind === 'authz.decision' && r.outcome === 'deny' && (r.detail['action'] as string) === 'kms.secrets.create')).toBe(true);
    });
  });
});
