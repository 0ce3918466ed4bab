import type { RunningService } from '@keyward/platform';
import { expectEventually } from '@keyward/testing';
import { startIam } from '../start-iam';
import { type IamSuite, accountOfToken, call, startIamSuite, tokenFor } from '../test-support/iam-suite';

/** Two IAM replicas on one database: bootstrap is idempotent, tokens and policy changes cross over. */
describe('IAM with two replicas', () => {
  let s: IamSuite;
  let second: RunningService;

  beforeAll(async () => {
    s = await startIamSuite();
    second = await startIam(s.suite.envFor('iam', { KEYWARD_REPLICA_ID: 'iam-second' }));
  });

  afterAll(async () => {
    await second?.close();
    await s?.close();
  });

  it('shares accounts and keys, verifies each other’s tokens, and drops cached decisions on change events', async () => {
    const first = await tokenFor(s.iam.url, s.suite.adminApiKey);
    const other = await tokenFor(second.url, s.suite.adminApiKey);
    const account = accountOfToken(first);
    expect(accountOfToken(other)).toBe(account);
    // Each replica signs with its own key; both publish both.
    expect((await call(second.url, first, 'GET', '/v1/apikeys')).status).toBe(200);
    expect((await call(s.iam.url, other, 'GET', '/v1/apikeys')).status).toBe(200);

    const decision = {
      subject: { serviceName: 'schematics', accountId: account },
      action: 'kms.secrets.wrap',
      resource: { serviceName: 'kms', accountId: account },
    };
    const schematics = await tokenFor(s.iam.url, s.serviceKeys['schematics'] as string);
    expect((await call(second.url, schematics, 'POST', '/v2/authz', decision)).body).toEqual({ decision: 'deny' });

    const created = await call(s.iam.url, first, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'schematics' }] },
      resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'kms' }] },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    });
    expect(created.status).toBe(201);
    // Well inside the 5 s cache lifetime: only the event can have refreshed the second replica.
    await expectEventually(async () => expect((await call(second.url, schematics, 'POST', '/v2/authz', decision)).body).toEqual({ decision: 'allow', policyId: created.body?.['id'] }), {
      timeoutMs: 1500,
    });
    expect((await call(s.iam.url, first, 'DELETE', `/v2/policies/${created.body?.['id'] as string}`)).status).toBe(204);
    await expectEventually(async () => expect((await call(second.url, schematics, 'POST', '/v2/authz', decision)).body).toEqual({ decision: 'deny' }), { timeoutMs: 1500 });
  });
});
