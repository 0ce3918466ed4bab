import { randomBytes } from 'node:crypto';
import { type KmsSuite, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';


const POLICY = 'application/vnd.ibm.kms.policy+json';
const envelope = (...resources: Record<string, unknown>[]) => ({ metadata: { collectionType: POLICY, collectionTotal: resources.length }, resources });
const policy = (policy_type: string, policy_data: Record<string, unknown>) => ({ policy_type, policy_data });

// Instance policies and their enforcement (network, caller address, create/import access), on the
// KMS's public and private endpoints, through real IAM, HSM, NATS and Postgres.
describe('KMS instance policies (Key Protect v2)', () => {
  let s: KmsSuite;

  beforeAll(async () => {
    s = await startKmsSuite();
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const on = (url: string, guid: string, method: string, path: string, body?: unknown, token: string = s.admin) =>
    call(url, token, method, `/api/v2${path}`, body, { 'bluemix-instance': guid });
  const pub = (guid: string, method: string, path: string, body?: unknown, token?: string) => on(s.kms.url, guid, method, path, body, token);
  const priv = (guid: string, method: string, path: string, body?: unknown) => on(s.kms.privateUrl, guid, method, path, body);
  const keyBody = (resource: Record<string, unknown>) => createKeyBody({ name: `k-${randomBytes(3).toString('hex')}`, ...resource });

  it('lists only the policies that were set; PUT answers 204; GET filters by ?policy=', async () => {
    const { guid } = await s.instance('kms');
    const none = await pub(guid, 'GET', '/instance/policies');
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ metadata: { collectionType: POLICY, collectionTotal: 0 }, resources: [] });
    const put = await pub(guid, 'PUT', '/instance/policies', envelope(policy('dualAuthDelete', { enabled: true }), policy('metrics', { enabled: false })));
    expect(put.status).toBe(204);
    expect(put.text).toBe('');
    const all = await pub(guid, 'GET', '/instance/policies');
    expect(all.body.metadata.collectionTotal).toBe(2);
    expect(all.body.resources).toEqual(
      expect.arrayContaining([
        {
          policy_type: 'dualAuthDelete',
          policy_data: { enabled: true },
          creationDate: expect.stringMatching(/Z$/),
          createdBy: expect.any(String),
          updatedBy: expect.any(String),
          lastUpdated: expect.stringMatching(/Z$/),
        },
        expect.objectContaining({ policy_type: 'metrics', policy_data: { enabled: false } }),
      ]),
    );
    const network = await pub(guid, 'PUT', '/instance/policies?policy=allowedNetwork', envelope(policy('allowedNetwork', { enabled: true, attributes: { allowed_network: 'public-and-private' } })));
    expect(network.status).toBe(204);
    const access = await pub(guid, 'PUT', '/instance/policies?policy=keyCreateImportAccess', envelope(policy('keyCreateImportAccess', { enabled: true, attributes: { create_standard_key: false } })));
    expect(access.status).toBe(204);
    const one = await pub(guid, 'GET', '/instance/policies?policy=keyCreateImportAccess');
    expect(one.body.resources).toEqual([
      expect.objectContaining({
        policy_type: 'keyCreateImportAccess',
        policy_data: {
          enabled: true,
          attributes: { create_root_key: true, create_standard_key: false, import_root_key: true, import_standard_key: true, enforce_token: false },
        },
      }),
    ]);
    expect((await pub(guid, 'GET', '/instance/policies')).body.metadata.collectionTotal).toBe(4);
  });

  it('refuses bad input with its reason code and writes nothing', async () => {
    const { guid } = await s.instance('kms');
    const cases: [string, unknown, string][] = [
      ['', envelope(policy('bogus', { enabled: true })), 'INVALID_FIELD_ERR'],
      ['', envelope({ policy_type: 'metrics' }), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('metrics', {})), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('metrics', { enabled: 'true' })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('metrics', { enabled: true, attributes: { colour: 'red' } })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('allowedNetwork', { enabled: true })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('allowedNetwork', { enabled: true, attributes: { allowed_network: 'private' } })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('allowedIP', { enabled: true, attributes: { allowed_ip: [] } })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('allowedIP', { enabled: true, attributes: { allowed_ip: ['nope'] } })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('allowedIP', { enabled: true, attributes: { allowed_ip: ['10.0.0.0/33'] } })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('allowedIP', { enabled: true, attributes: { allowed_ip: '10.0.0.0/8' } })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('rotation', { enabled: true, attributes: { interval_month: 13 } })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('rotation', { enabled: true })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('keyCreateImportAccess', { enabled: true, attributes: { create_root_key: 'no' } })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('keyCreateImportAccess', { enabled: true, attributes: { delete_key: false } })), 'INVALID_FIELD_ERR'],
      ['', envelope(policy('metrics', { enabled: true }), policy('metrics', { enabled: false })), 'INVALID_FIELD_ERR'],
      // A valid policy next to an invalid one: neither is written.
      ['', envelope(policy('dualAuthDelete', { enabled: true }), policy('rotation', { enabled: true, attributes: { interval_month: 0 } })), 'INVALID_FIELD_ERR'],
      ['?policy=bogus', envelope(policy('metrics', { enabled: true })), 'INVALID_QUERY_PARAM_ERR'],
      ['?policy=metrics', envelope(policy('dualAuthDelete', { enabled: true })), 'BODY_QUERY_PARAM_MISMATCH_ERR'],
      ['', { metadata: { collectionType: POLICY, collectionTotal: 3 }, resources: [policy('metrics', { enabled: true })] }, 'COLLECTION_TOTAL_MISMATCH_ERR'],
      ['', envelope(), 'NUM_COLLECTION_RESOURCE_ERR'],
      ['', '{', 'BAD_BODY_ERR'],
      ['', '', 'NO_BODY_ERR'],
    ];
    for (const [query, body, code] of cases) {
      const response = await pub(guid, 'PUT', `/instance/policies${query}`, body);
      expect({ body, status: response.status, code: reason(response) }).toEqual({ body, status: 400, code });
    }
    expect((await pub(guid, 'GET', '/instance/policies')).body.metadata.collectionTotal).toBe(0);
    expect(reason(await pub(guid, 'GET', '/instance/policies?policy=nope'))).toBe('INVALID_QUERY_PARAM_ERR');
  });

  it('refuses callers without instance policy access (401)', async () => {
    const { guid } = await s.instance('kms');
    const apprapp = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_APPRAPP'] as string);
    expect(reason(await pub(guid, 'GET', '/instance/policies', undefined, apprapp))).toBe('UNAUTHORIZED_ERR');
    expect(reason(await pub(guid, 'PUT', '/instance/policies', envelope(policy('metrics', { enabled: true })), apprapp))).toBe('UNAUTHORIZED_ERR');
    expect(reason(await pub(guid, 'GET', '/instance/allowed_ip_port', undefined, apprapp))).toBe('UNAUTHORIZED_ERR');
  });

  it('enforces keyCreateImportAccess on create and import (409 KEY_CREATE_IMPORT_ACCESS_ERR)', async () => {
    const { guid } = await s.instance('kms');
    const setAccess = (enabled: boolean, attributes: Record<string, boolean>) =>
      pub(guid, 'PUT', '/instance/policies?policy=keyCreateImportAccess', envelope(policy('keyCreateImportAccess', { enabled, attributes })));
    expect((await setAccess(true, { create_root_key: false, import_standard_key: false })).status).toBe(204);
    const root = await pub(guid, 'POST', '/keys', keyBody({ extractable: false }));
    expect(root.status).toBe(409);
    expect(reason(root)).toBe('KEY_CREATE_IMPORT_ACCESS_ERR');
    expect((await pub(guid, 'POST', '/keys', keyBody({ extractable: true }))).status).toBe(201);
    expect((await pub(guid, 'POST', '/keys', keyBody({ extractable: false, payload: randomBytes(16).toString('base64') }))).status).toBe(201);
    expect(reason(await pub(guid, 'POST', '/keys', keyBody({ extractable: true, payload: randomBytes(16).toString('base64') })))).toBe('KEY_CREATE_IMPORT_ACCESS_ERR');
    // enforce_token: a plain (token-less) import is refused.
    expect((await setAccess(true, { enforce_token: true })).status).toBe(204);
    expect(reason(await pub(guid, 'POST', '/keys', keyBody({ extractable: false, payload: randomBytes(32).toString('base64') })))).toBe('KEY_CREATE_IMPORT_ACCESS_ERR');
    expect((await pub(guid, 'POST', '/keys', keyBody({ extractable: false }))).status).toBe(201);
    expect((await pub(guid, 'GET', '/keys')).body.metadata.collectionTotal).toBe(3);
    // Disabled: everything is allowed again.
    expect((await setAccess(false, { create_root_key: false })).status).toBe(204);
    expect((await pub(guid, 'POST', '/keys', keyBody({ extractable: false }))).status).toBe(201);
  });

  it('allowedNetwork private-only: public-port calls are refused (401), private-port calls served', async () => {
    const { guid } = await s.instance('kms');
    expect((await priv(guid, 'GET', '/keys')).status).toBe(200);
    const set = await pub(guid, 'PUT', '/instance/policies?policy=allowedNetwork', envelope(policy('allowedNetwork', { enabled: true, attributes: { allowed_network: 'private-only' } })));
    expect(set.status).toBe(204);
    const refused = await pub(guid, 'GET', '/keys');
    expect(refused.status).toBe(401);
    expect(reason(refused)).toBe('UNAUTHORIZED_ERR');
    expect((await pub(guid, 'POST', '/keys', keyBody({ extractable: false }))).status).toBe(401);
    expect((await priv(guid, 'GET', '/keys')).body.metadata.collectionTotal).toBe(0);
    const created = await priv(guid, 'POST', '/keys', keyBody({ extractable: false }));
    expect(created.status).toBe(201);
    // Other instances are not affected.
    const other = await s.instance('kms');
    expect((await pub(other.guid, 'GET', '/keys')).status).toBe(200);
    // Back to public-and-private, through the private endpoint.
    const reopen = await priv(guid, 'PUT', '/instance/policies?policy=allowedNetwork', envelope(policy('allowedNetwork', { enabled: true, attributes: { allowed_network: 'public-and-private' } })));
    expect(reopen.status).toBe(204);
    expect((await pub(guid, 'GET', `/keys/${created.body.resources[0].id as string}`)).status).toBe(200);
  });

  it('allowedIP: calls from addresses outside the list are refused on both ports; allowed_ip_port shows the private port', async () => {
    const { guid } = await s.instance('kms');
    const before = await pub(guid, 'GET', '/instance/allowed_ip_port');
    expect(before.status).toBe(200);
    expect(before.body.metadata.collectionTotal).toBe(0);
    const allow = (ips: string[]) => pub(guid, 'PUT', '/instance/policies?policy=allowedIP', envelope(policy('allowedIP', { enabled: true, attributes: { allowed_ip: ips } })));
    expect((await allow(['127.0.0.0/8', '::1/128'])).status).toBe(204);
    expect((await pub(guid, 'GET', '/keys')).status).toBe(200);
    const port = await pub(guid, 'GET', '/instance/allowed_ip_port');
    expect(port.body).toEqual({
      metadata: { collectionType: 'application/vnd.ibm.kms.allowed_ip_metadata+json', collectionTotal: 1 },
      resources: [{ private_endpoint_port: Number(new URL(s.kms.privateUrl).port) }],
    });
    expect((await allow(['10.0.0.0/8', '2001:db8::/32'])).status).toBe(204);
    for (const response of [await pub(guid, 'GET', '/keys'), await priv(guid, 'GET', '/keys'), await pub(guid, 'GET', '/instance/policies')]) {
      expect(response.status).toBe(401);
      expect(reason(response)).toBe('UNAUTHORIZED_ERR');
    }
    const other = await s.instance('kms');
    expect((await pub(other.guid, 'GET', '/keys')).status).toBe(200);
  });
});

