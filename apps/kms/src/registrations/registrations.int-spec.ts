import { randomBytes, randomUUID } from 'node:crypto';
import { expectEventually } from '@keyward/testing';
import { type CallResult, type KmsSuite, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';
import { grantServiceOnInstance } from '../testing/service-grants';

// Registrations (KEY-PROTECT-API.md §5) through real IAM (a schematics service token with a Reader
// authorization), real HSM, NATS and Postgres.
describe('KMS registrations API', () => {
  let s: KmsSuite;
  let instance: { guid: string; crn: string };
  let schematics: string;
  let apprapp: string;
  const SECOND = 1000;

  beforeAll(async () => {
    s = await startKmsSuite();
    instance = await s.instance('kms');
    schematics = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_SCHEMATICS'] as string);
    apprapp = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_APPRAPP'] as string);
    await grantServiceOnInstance(s.iamUrl, s.admin, s.account, 'schematics', instance.guid);
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const workspaceCrn = (id: string = randomUUID()) => `crn:v1:keyward:public:schematics:us-south:a/${s.account}::workspace:${id}`;
  const kp = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token: string = s.admin) =>
    call(s.kms.url, token, method, `/api/v2${path}`, body, { 'bluemix-instance': instance.guid, ...headers });
  /** As the schematics service, acting for one of its workspaces (X-Keyward-Source-CRN). */
  const svc = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    kp(method, path, body, { 'x-keyward-source-crn': workspaceCrn('source'), ...headers }, schematics);
  const regPath = (keyId: string, crn: string) => `/keys/${keyId}/registrations/${encodeURIComponent(crn)}`;
  const regBody = (resource: Record<string, unknown>) => ({
    metadata: { collectionType: 'application/vnd.ibm.kms.registration_input+json', collectionTotal: 1 },
    resources: [resource],
  });
  const createRoot = async (resource: Record<string, unknown> = {}) => {
    const created = await kp('POST', '/keys', createKeyBody({ name: `root-${randomBytes(3).toString('hex')}`, extractable: false, ...resource }));
    expect(created.status).toBe(201);
    return created.body.resources[0] as { id: string; keyVersion: { id: string } };
  };
  const registrationsOf = async (keyId: string): Promise<CallResult> => {
    const listed = await svc('GET', `/keys/${keyId}/registrations`);
    expect(listed.status).toBe(200);
    return listed;
  };

  it('creates a registration (201, the registration envelope) and lists it per key and per instance', async () => {
    const key = await createRoot();
    const crn = workspaceCrn();
    // The authorization may take a moment to reach the KMS's decision cache.
    const created = await expectEventually(async () => {
      const response = await svc('POST', regPath(key.id, crn), regBody({ preventKeyDeletion: false, description: 'workspace state', registrationMetadata: 'internal' }));
      expect(response.status).toBe(201);
      return response;
    });
    expect(created.body.metadata).toEqual({ collectionType: 'application/vnd.ibm.kms.registration+json', collectionTotal: 1 });
    expect(created.body.resources[0]).toEqual({
      keyId: key.id,
      keyName: expect.any(String),
      resourceCrn: crn,
      createdBy: expect.stringMatching(/^iam-/),
      creationDate: expect.stringMatching(/Z$/),
      updatedBy: expect.any(String),
      lastUpdated: expect.any(String),
      description: 'workspace state',
      registrationMetadata: 'internal',
      preventKeyDeletion: false,
      keyVersion: { id: key.keyVersion.id, creationDate: expect.any(String) },
    });

    const perKey = await registrationsOf(key.id);
    expect(perKey.body.metadata.collectionTotal).toBe(1);
    expect(perKey.body.resources[0].resourceCrn).toBe(crn);
    const all = await svc('GET', '/keys/registrations?totalCount=true');
    expect(all.status).toBe(200);
    expect(all.body.metadata).toMatchObject({ collectionType: 'application/vnd.ibm.kms.registration+json', totalCount: expect.any(Number) });
    expect(all.body.resources.map((r: { resourceCrn: string }) => r.resourceCrn)).toContain(crn);

    // A user sees registrations but not registrationMetadata (service-to-service only).
    const asUser = await kp('GET', `/keys/${key.id}/registrations`);
    expect(asUser.status).toBe(200);
    expect(asUser.body.resources[0].registrationMetadata).toBeUndefined();
    expect(asUser.body.resources[0].description).toBe('workspace state');
  });

  it('decodes the CRN until stable (the Java client encodes it twice)', async () => {
    const key = await createRoot();
    const crn = workspaceCrn();
    const twice = encodeURIComponent(encodeURIComponent(crn));
    expect((await svc('POST', `/keys/${key.id}/registrations/${twice}`, regBody({}))).status).toBe(201);
    expect((await svc('PATCH', regPath(key.id, crn), regBody({ description: 'once' }))).status).toBe(200);
    expect((await registrationsOf(key.id)).body.resources).toEqual([expect.objectContaining({ resourceCrn: crn, description: 'once' })]);
  });

  it('always answers collectionTotal, also 0; filters by CRN pattern and preventKeyDeletion; pages with limit, offset, totalCount', async () => {
    const key = await createRoot();
    const empty = await registrationsOf(key.id);
    expect(empty.body).toEqual({ metadata: { collectionType: 'application/vnd.ibm.kms.registration+json', collectionTotal: 0 }, resources: [] });
    const group = randomBytes(4).toString('hex');
    const crns = [0, 1, 2].map((i) => workspaceCrn(`${group}-${i}`));
    for (const [i, crn] of crns.entries()) {
      expect((await svc('POST', regPath(key.id, crn), regBody({ preventKeyDeletion: i === 2 }))).status).toBe(201);
    }
    const pattern = encodeURIComponent(`crn:v1:keyward:public:schematics:us-south:a/${s.account}::workspace:${group}-*`);
    const byPattern = await svc('GET', `/keys/registrations?urlEncodedResourceCRNQuery=${pattern}&totalCount=true`);
    expect(byPattern.body.metadata).toMatchObject({ collectionTotal: 3, totalCount: 3 });
    const prevent = await svc('GET', `/keys/${key.id}/registrations?preventKeyDeletion=true`);
    expect(prevent.body.resources.map((r: { resourceCrn: string }) => r.resourceCrn)).toEqual([crns[2]]);
    const page = await svc('GET', `/keys/${key.id}/registrations?limit=1&offset=1&totalCount=true`);
    expect(page.body.metadata).toMatchObject({ collectionTotal: 1, totalCount: 3 });
    expect(page.body.resources[0].resourceCrn).toBe(crns[1]);

    expect(reason(await svc('GET', `/keys/${key.id}/registrations?limit=0`))).toBe('INVALID_QUERY_PARAM_ERR');
    expect(reason(await svc('GET', `/keys/${key.id}/registrations?preventKeyDeletion=yes`))).toBe('INVALID_QUERY_PARAM_ERR');
    const wildInstance = encodeURIComponent('crn:v1:keyward:public:schematics:us-south:*:*:*:*');
    expect(reason(await svc('GET', `/keys/registrations?urlEncodedResourceCRNQuery=${wildInstance}`))).toBe('INVALID_QUERY_PARAM_ERR');
  });

  it('refuses every bad registration with its documented code, and leaves no row behind', async () => {
    const key = await createRoot();
    const standard = await kp('POST', '/keys', createKeyBody({ name: 'std-reg', extractable: true }));
    const disabled = await createRoot();
    expect((await kp('POST', `/keys/${disabled.id}/actions/disable`)).status).toBe(204);
    const crn = workspaceCrn();
    const cases: [string, () => Promise<CallResult>, number, string][] = [
      ['user token', () => kp('POST', regPath(key.id, crn), regBody({})), 403, 'SERVICE_ONLY_ERR'],
      ['standard key', () => svc('POST', regPath(standard.body.resources[0].id as string, crn), regBody({})), 422, 'KEY_ROOT_REQ_REG_ERR'],
      ['disabled key', () => svc('POST', regPath(disabled.id, crn), regBody({})), 422, 'KEY_INVALID_STATE_ERR'],
      ['not a CRN', () => svc('POST', regPath(key.id, 'not-a-crn'), regBody({})), 400, 'INVALID_FIELD_ERR'],
      // Encoded twice, the inner encoding broken (Fastify decodes the outer one).
      ['broken encoding', () => svc('POST', `/keys/${key.id}/registrations/crn%25E0%25A4%25A`, regBody({})), 400, 'INVALID_FIELD_ERR'],
      ['another service', () => svc('POST', regPath(key.id, crn.replace(':schematics:', ':apprapp:')), regBody({})), 403, 'RESOURCE_OWNER_ERR'],
      ['bad JSON', () => svc('POST', regPath(key.id, crn), '{nope'), 400, 'BAD_BODY_ERR'],
      ['two resources', () => svc('POST', regPath(key.id, crn), { metadata: { collectionTotal: 2 }, resources: [{}, {}] }), 400, 'NUM_COLLECTION_RESOURCE_ERR'],
      ['preventKeyDeletion not boolean', () => svc('POST', regPath(key.id, crn), regBody({ preventKeyDeletion: 'yes' })), 400, 'INVALID_FIELD_ERR'],
      ['description too long', () => svc('POST', regPath(key.id, crn), regBody({ description: 'x'.repeat(241) })), 400, 'INVALID_FIELD_ERR'],
      ['unknown keyVersionId', () => svc('POST', regPath(key.id, crn), regBody({ keyVersionId: randomUUID() })), 422, 'KEY_VERSION_INVALID'],
      ['unknown key', () => svc('POST', regPath(randomUUID(), crn), regBody({})), 404, 'KEY_NOT_FOUND_ERR'],
      ['no authorization', () => kp('POST', regPath(key.id, crn.replace(':schematics:', ':apprapp:')), regBody({}), {}, apprapp), 401, 'UNAUTHORIZED_ERR'],
    ];
    for (const [name, send, status, code] of cases) {
      const response = await send();
      expect({ name, status: response.status, code: reason(response) }).toEqual({ name, status, code });
    }
    expect((await registrationsOf(key.id)).body.metadata.collectionTotal).toBe(0);
    expect((await registrationsOf(disabled.id)).body.metadata.collectionTotal).toBe(0);

    expect((await svc('POST', regPath(key.id, crn), regBody({}))).status).toBe(201);
    const again = await svc('POST', regPath(key.id, crn), regBody({ description: 'second' }));
    expect([again.status, reason(again)]).toEqual([409, 'REGISTRATION_EXISTS_ERR']);
    expect((await registrationsOf(key.id)).body.resources).toEqual([expect.not.objectContaining({ description: 'second' })]);
  });

  it('updates with PATCH (fields sent) and PUT (replace); keyVersionId must be newer; 404 for no registration', async () => {
    const key = await createRoot();
    const crn = workspaceCrn();
    expect((await svc('POST', regPath(key.id, crn), regBody({ description: 'd', registrationMetadata: 'm' }))).status).toBe(201);
    const patched = await svc('PATCH', regPath(key.id, crn), regBody({ preventKeyDeletion: true }));
    expect(patched.status).toBe(200);
    expect(patched.body.resources[0]).toMatchObject({ preventKeyDeletion: true, description: 'd', registrationMetadata: 'm' });

    const sameVersion = await svc('PATCH', regPath(key.id, crn), regBody({ keyVersionId: key.keyVersion.id }));
    expect([sameVersion.status, reason(sameVersion)]).toEqual([422, 'KEY_VERSION_INVALID']);
    expect((await kp('POST', `/keys/${key.id}/actions/rotate`)).status).toBe(204);
    const versions = await kp('GET', `/keys/${key.id}/versions`);
    const newest = versions.body.resources[0].id as string;
    const put = await svc('PUT', regPath(key.id, crn), regBody({ keyVersionId: newest, description: 'replaced' }));
    expect(put.status).toBe(200);
    expect(put.body.resources[0]).toMatchObject({ preventKeyDeletion: false, description: 'replaced', keyVersion: { id: newest } });
    expect(put.body.resources[0].registrationMetadata).toBeUndefined();
    const older = await svc('PATCH', regPath(key.id, crn), regBody({ keyVersionId: key.keyVersion.id }));
    expect([older.status, reason(older)]).toEqual([422, 'KEY_VERSION_INVALID']);

    const missing = await svc('PATCH', regPath(key.id, workspaceCrn()), regBody({ description: 'x' }));
    expect([missing.status, reason(missing)]).toEqual([404, 'REGISTRATION_NOT_FOUND_ERR']);
    const noBody = await svc('PUT', regPath(key.id, crn));
    expect([noBody.status, reason(noBody)]).toEqual([400, 'NO_BODY_ERR']);
    const asUser = await kp('PATCH', regPath(key.id, crn), regBody({ description: 'user' }));
    expect([asUser.status, reason(asUser)]).toEqual([403, 'SERVICE_ONLY_ERR']);
  });

  it('governs key deletion: PROTECTED_RESOURCE_ERR without force, PREV_KEY_DEL_ERR even with force', async () => {
    const key = await createRoot();
    const crn = workspaceCrn();
    expect((await svc('POST', regPath(key.id, crn), regBody({}))).status).toBe(201);
    const blocked = await kp('DELETE', `/keys/${key.id}`);
    expect([blocked.status, reason(blocked)]).toEqual([409, 'PROTECTED_RESOURCE_ERR']);

    const prevented = await createRoot();
    const retained = workspaceCrn();
    expect((await svc('POST', regPath(prevented.id, retained), regBody({ preventKeyDeletion: true }))).status).toBe(201);
    for (const path of [`/keys/${prevented.id}`, `/keys/${prevented.id}?force=true`]) {
      const refused = await kp('DELETE', path);
      expect([path, refused.status, reason(refused)]).toEqual([path, 409, 'PREV_KEY_DEL_ERR']);
    }
    expect((await kp('GET', `/keys/${prevented.id}/metadata`)).body.resources[0].state).toBe(1);

    const forced = await kp('DELETE', `/keys/${key.id}?force=true`, undefined, { prefer: 'return=representation' });
    expect(forced.status).toBe(200);
    expect(forced.body.resources[0].state).toBe(5);
    // Registrations outlive the delete (a restore brings the key back to its resources) and go with the purge.
    expect((await registrationsOf(key.id)).body.metadata.collectionTotal).toBe(1);
    const onDeleted = await svc('PATCH', regPath(key.id, crn), regBody({ description: 'x' }));
    expect([onDeleted.status, reason(onDeleted)]).toEqual([422, 'KEY_INVALID_STATE_ERR']);
    // A service can let go of a deleted key.
    expect((await svc('DELETE', regPath(key.id, crn))).status).toBe(204);
    expect((await registrationsOf(key.id)).body.metadata.collectionTotal).toBe(0);

    // Once the last preventing registration is gone, the delete goes through.
    expect((await svc('DELETE', regPath(prevented.id, retained))).status).toBe(204);
    const missing = await svc('DELETE', regPath(prevented.id, retained));
    expect([missing.status, reason(missing)]).toEqual([404, 'REGISTRATION_NOT_FOUND_ERR']);
    expect((await kp('DELETE', `/keys/${prevented.id}`)).status).toBe(204);
  });

  it('purge removes the registrations with the key', async () => {
    const key = await createRoot();
    const crn = workspaceCrn();
    expect((await svc('POST', regPath(key.id, crn), regBody({}))).status).toBe(201);
    expect((await kp('DELETE', `/keys/${key.id}?force=true`)).status).toBe(204);
    s.clock.advance(4 * 3600 * SECOND + SECOND);
    expect((await kp('DELETE', `/keys/${key.id}/purge`)).status).toBe(204);
    const listed = await svc('GET', `/keys/registrations?urlEncodedResourceCRNQuery=${encodeURIComponent(crn)}`);
    expect(listed.body.metadata.collectionTotal).toBe(0);
    expect((await svc('GET', `/keys/${key.id}/registrations`)).status).toBe(404);
  });
});
