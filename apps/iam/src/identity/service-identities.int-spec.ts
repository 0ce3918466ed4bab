import { decodeJwt } from 'jose';
import { type IamSuite, call, startIamSuite, tokenFor } from '../test-support/iam-suite';

/**
 * A token with `service_name` skips registry authorization, so the Keyward service IDs (which live in
 * the default account) must be out of reach of that account's administrators, and their keys must
 * come only from the environment.
 */
describe('Keyward service IDs cannot be given API keys through the API', () => {
  let s: IamSuite;
  let operator: string;
  let kmsIamId: string;
  let kmsKeyId: string;

  beforeAll(async () => {
    s = await startIamSuite();
    operator = await tokenFor(s.iam.url, s.suite.adminApiKey);
    const kms = await tokenFor(s.iam.url, s.serviceKeys['kms'] as string);
    kmsIamId = decodeJwt(kms)['iam_id'] as string;
    kmsKeyId = ((await call(s.iam.url, kms, 'GET', '/v1/apikeys')).body?.['apikeys'] as { id: string }[])[0]?.id as string;
  });

  afterAll(async () => {
    await s?.close();
  });

  it('refuses another administrator of the default account: the service ID is not even visible', async () => {
    const user = await call(s.iam.url, operator, 'POST', '/v1/users', { name: 'second-admin', administrator: true });
    expect(user.status).toBe(201);
    const key = await call(s.iam.url, operator, 'POST', '/v1/apikeys', { name: 'k', iam_id: user.body?.['iam_id'] });
    const secondAdmin = await tokenFor(s.iam.url, key.body?.['apikey'] as string);
    // It does administer the account (it can create service IDs there) …
    expect((await call(s.iam.url, secondAdmin, 'POST', '/v1/serviceids', { name: 'its-robot' })).status).toBe(201);
    // … but not the Keyward service IDs in it.
    for (const service of ['kms', 'hs-crypto', 'apprapp', 'schematics', 'hyperp-dbaas-postgresql', 'hyperp-dbaas-backup']) {
      const token = await tokenFor(s.iam.url, s.serviceKeys[service] as string);
      const iamId = decodeJwt(token)['iam_id'] as string;
      const minted = await call(s.iam.url, secondAdmin, 'POST', '/v1/apikeys', { name: 'impersonate', iam_id: iamId });
      expect({ service, status: minted.status }).toEqual({ service, status: 404 });
      expect(minted.body?.['apikey']).toBeUndefined();
    }
    expect((await call(s.iam.url, secondAdmin, 'GET', `/v1/apikeys?iam_id=${kmsIamId}`)).status).toBe(404);
    expect((await call(s.iam.url, secondAdmin, 'GET', `/v1/apikeys/${kmsKeyId}`)).status).toBe(404);
    expect((await call(s.iam.url, secondAdmin, 'POST', `/v1/apikeys/${kmsKeyId}/disable`)).status).toBe(404);
    expect((await call(s.iam.url, secondAdmin, 'DELETE', `/v1/apikeys/${kmsKeyId}`)).status).toBe(404);
    expect((await tokenFor(s.iam.url, s.serviceKeys['kms'] as string)).length).toBeGreaterThan(0);
  });

  it('refuses the operator and the service itself too: service keys come only from the environment', async () => {
    const byOperator = await call(s.iam.url, operator, 'POST', '/v1/apikeys', { name: 'extra', iam_id: kmsIamId });
    expect(byOperator.status).toBe(403);
    expect(byOperator.body?.['errorCode']).toBe('SERVICE_ID_MANAGED_ERR');
    const kms = await tokenFor(s.iam.url, s.serviceKeys['kms'] as string);
    expect((await call(s.iam.url, kms, 'POST', '/v1/apikeys', { name: 'extra', iam_id: kmsIamId })).status).toBe(403);
    // The service may read its own keys, but not switch them off; the operator may (emergency revocation).
    expect((await call(s.iam.url, kms, 'GET', `/v1/apikeys/${kmsKeyId}`)).status).toBe(200);
    expect((await call(s.iam.url, kms, 'POST', `/v1/apikeys/${kmsKeyId}/disable`)).status).toBe(404);
    expect((await call(s.iam.url, operator, 'GET', `/v1/apikeys?iam_id=${kmsIamId}`)).body?.['apikeys']).toHaveLength(1);
  });

  it('gives service_name only to the bootstrapped services’ own keys, never to a service ID someone created', async () => {
    const sid = await call(s.iam.url, operator, 'POST', '/v1/serviceids', { name: 'keyward-kms-lookalike' });
    const key = await call(s.iam.url, operator, 'POST', '/v1/apikeys', { name: 'bootstrap', iam_id: sid.body?.['iam_id'] });
    const claims = decodeJwt(await tokenFor(s.iam.url, key.body?.['apikey'] as string));
    expect(claims['sub_type']).toBe('ServiceId');
    expect(claims['service_name']).toBeUndefined();
    expect(decodeJwt(await tokenFor(s.iam.url, s.serviceKeys['kms'] as string))['service_name']).toBe('kms');
  });
});
