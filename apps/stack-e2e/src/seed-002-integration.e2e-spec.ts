import { randomBytes } from 'node:crypto';
import { appUrlEnvName, serviceApiKeyEnvName } from '@keyward/contracts';
import { ServiceTokenProvider } from '@keyward/platform';
import { expectEventually, iamTokenFor } from '@keyward/testing';

const url = (app: 'iam' | 'kms') => process.env[appUrlEnvName(app)] as string;

const tokenFor = (apikey: string) => iamTokenFor(url('iam'), apikey);

async function call(base: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Seed 002 ("Integrating services"): App Configuration, as its own service, wraps and unwraps a DEK
 * with a root key of a Key Protect instance once an authorization grants it Reader on that instance,
 * and is refused without it. It calls exactly as libs/kms-client does: its service token, the
 * Bluemix-Instance header and X-Keyward-Source-CRN naming its own instance.
 */
describe('seed 002: a consumer service with a Reader authorization wraps and unwraps', () => {
  let admin: string;
  let account: string;
  let kp: { guid: string };
  let appConfig: { guid: string; crn: string };
  let rootKeyId: string;
  let consumer: ServiceTokenProvider;

  beforeAll(async () => {
    admin = await tokenFor(process.env['KEYWARD_ADMIN_APIKEY'] as string);
    account = (JSON.parse(Buffer.from(admin.split('.')[1] as string, 'base64url').toString()) as { account: { bss: string } }).account.bss;
    kp = (await call(url('iam'), admin, 'POST', '/v2/resource_instances', { name: 'seed-002-kp', service: 'kms', plan: 'tiered-pricing', target: 'us-south' })).body;
    appConfig = (await call(url('iam'), admin, 'POST', '/v2/resource_instances', { name: 'seed-002-ac', service: 'apprapp', plan: 'standard', target: 'us-south' })).body;
    const created = await call(
      url('kms'),
      admin,
      'POST',
      '/api/v2/keys',
      { metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 }, resources: [{ type: 'application/vnd.ibm.kms.key+json', name: 'seed-002-root', extractable: false }] },
      { 'bluemix-instance': kp.guid },
    );
    expect(created.status).toBe(201);
    rootKeyId = created.body.resources[0].id;
    consumer = new ServiceTokenProvider({ iamUrl: url('iam'), apiKey: process.env[serviceApiKeyEnvName('apprapp')] as string });
  });

  const asConsumer = async (action: string, body: unknown) =>
    call(url('kms'), await consumer.get(), 'POST', `/api/v2/keys/${rootKeyId}/actions/${action}`, body, {
      'bluemix-instance': kp.guid,
      'x-keyward-source-crn': appConfig.crn,
    });

  it('is refused (401 UNAUTHORIZED_ERR) without an authorization, then works with Reader, and never may change the key', async () => {
    const refused = await asConsumer('wrap', {});
    expect(refused.status).toBe(401);
    expect(refused.body.resources[0].reasons[0].code).toBe('UNAUTHORIZED_ERR');

    const policy = await call(url('iam'), admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: account },
          { key: 'serviceName', operator: 'stringEquals', value: 'apprapp' },
          { key: 'serviceInstance', operator: 'stringEquals', value: appConfig.guid },
        ],
      },
      resource: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: account },
          { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
          { key: 'serviceInstance', operator: 'stringEquals', value: kp.guid },
        ],
      },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    });
    expect(policy.status).toBe(201);

    const dek = randomBytes(32).toString('base64');
    await expectEventually(async () => expect((await asConsumer('wrap', { plaintext: dek, aad: [appConfig.crn] })).status).toBe(200));
    const wrapped = await asConsumer('wrap', { plaintext: dek, aad: [appConfig.crn] });
    const unwrapped = await asConsumer('unwrap', { ciphertext: wrapped.body.ciphertext, aad: [appConfig.crn] });
    expect(unwrapped.status).toBe(200);
    expect(unwrapped.body.plaintext).toBe(dek);

    // Reader changes nothing: rotate and disable are refused like any forbidden call.
    expect((await asConsumer('rotate', {})).status).toBe(401);
    expect((await asConsumer('disable', {})).status).toBe(401);

    // Revoking the authorization stops it as soon as IAM's policy event reaches the KMS.
    expect((await call(url('iam'), admin, 'DELETE', `/v2/policies/${policy.body.id as string}`)).status).toBe(204);
    await expectEventually(async () => expect((await asConsumer('unwrap', { ciphertext: wrapped.body.ciphertext, aad: [appConfig.crn] })).status).toBe(401));
  });
});
