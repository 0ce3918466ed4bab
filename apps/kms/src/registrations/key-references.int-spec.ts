import { randomBytes, randomUUID } from 'node:crypto';
import { expectEventually } from '@keyward/testing';
import { KmsPrisma } from '../database/kms-prisma.service';
import { EventRelay } from '../events/event-relay';
import { RotationScheduler } from '../policies/rotation.scheduler';
import { type EventTap, tapKeyEvents } from '../testing/event-tap';
import { userWithRole } from '../testing/iam-users';
import { type CallResult, type KmsSuite, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';
import { encryptForImport } from '../testing/secure-import';
import { grantServiceOnInstance } from '../testing/service-grants';

const DAY = 24 * 3600 * 1000;
const KEY_POLICY = 'application/vnd.ibm.kms.policy+json';
const INSTANCE_POLICY = 'application/vnd.ibm.kms.policy+json';
const keyPolicies = (...resources: Record<string, unknown>[]) => ({
  metadata: { collectionType: KEY_POLICY, collectionTotal: resources.length },
  resources: resources.map((r) => ({ type: KEY_POLICY, ...r })),
});

/**
 * Issue 7's cross-cutting rules on the routes its four parts added (registrations, sync, policies,
 * dual authorization, aliases): a key is named by id or alias everywhere, `X-Kms-Key-Ring` is honoured
 * everywhere, dual authorization never gets around a registration, `enforce_token` lets a secure
 * import through, and a rotation by the rotation-policy scheduler is published to consumers.
 */
describe('KMS key references and cross-part rules (issue 7)', () => {
  let s: KmsSuite;
  let instance: { guid: string; crn: string };
  let schematics: string;
  let tap: EventTap;

  beforeAll(async () => {
    s = await startKmsSuite();
    instance = await s.instance('kms');
    schematics = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_SCHEMATICS'] as string);
    await grantServiceOnInstance(s.iamUrl, s.admin, s.account, 'schematics', instance.guid);
    tap = await tapKeyEvents(s.suite.envFor('kms')['NATS_URL'] as string, s.suite.prefix);
  }, 120_000);

  afterAll(async () => {
    await tap?.close();
    await s?.close();
  });

  const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
  const workspaceCrn = () => `crn:v1:keyward:public:schematics:us-south:a/${s.account}::workspace:${randomUUID()}`;
  const kp = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token: string = s.admin, guid = instance.guid) =>
    call(s.kms.url, token, method, `/api/v2${path}`, body, { 'bluemix-instance': guid, ...headers });
  const svc = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => kp(method, path, body, headers, schematics);
  const regPath = (key: string, crn: string) => `/keys/${key}/registrations/${encodeURIComponent(crn)}`;
  const regBody = (resource: Record<string, unknown>) => ({ metadata: { collectionType: 'application/vnd.ibm.kms.registration_input+json', collectionTotal: 1 }, resources: [resource] });
  const status = async (response: Promise<CallResult>, expected: number, what = '') => {
    const result = await response;
    expect({ what, status: result.status, body: result.status === expected ? undefined : result.body }).toEqual({ what, status: expected, body: undefined });
    return result;
  };
  const createRoot = async (headers: Record<string, string> = {}, resource: Record<string, unknown> = {}) => {
    const created = await kp('POST', '/keys', createKeyBody({ name: unique('root'), extractable: false, ...resource }), headers);
    expect(created.status).toBe(201);
    return created.body.resources[0] as { id: string; keyVersion: { id: string } };
  };
  /** The service's first call after the authorization waits until IAM's decision reached the KMS. */
  const registerEventually = (key: string, crn: string, body: unknown = regBody({})) =>
    expectEventually(() => status(svc('POST', regPath(key, crn), body), 201, 'register'), { timeoutMs: 20_000, intervalMs: 200 });

  it('takes an alias on every route issue 7 added, and the answers name the key by its id', async () => {
    const key = await createRoot();
    const alias = unique('by-alias');
    await status(kp('POST', `/keys/${key.id}/aliases/${alias}`), 201);
    const crn = workspaceCrn();

    const registered = await registerEventually(alias, crn, regBody({ description: 'first' }));
    expect(registered.body.resources[0]).toMatchObject({ keyId: key.id, resourceCrn: crn });
    expect((await status(svc('PATCH', regPath(alias, crn), regBody({ description: 'patched' })), 200)).body.resources[0]).toMatchObject({ keyId: key.id, description: 'patched' });
    expect((await status(svc('PUT', regPath(alias, crn), regBody({ description: 'put' })), 200)).body.resources[0]).toMatchObject({ keyId: key.id, description: 'put' });
    const listed = await status(kp('GET', `/keys/${alias}/registrations`), 200);
    expect(listed.body.resources).toEqual([expect.objectContaining({ keyId: key.id, resourceCrn: crn })]);

    expect((await status(kp('PUT', `/keys/${alias}/policies`, keyPolicies({ rotation: { interval_month: 3 } })), 200)).body.resources[0].crn).toContain(key.id);
    expect((await status(kp('GET', `/keys/${alias}/policies?policy=rotation`), 200)).body.resources[0].rotation.interval_month).toBe(3);
    await status(kp('PUT', `/keys/${alias}/policies?policy=dualAuthDelete`, keyPolicies({ dualAuthDelete: { enabled: true } })), 200);
    await status(kp('POST', `/keys/${alias}/actions/setKeyForDeletion`), 204);
    expect((await kp('GET', `/keys/${key.id}/metadata`)).body.resources[0].dualAuthDelete).toMatchObject({ enabled: true, keySetForDeletion: true });
    await status(kp('POST', `/keys/${alias}/actions/unsetKeyForDeletion`), 204);
    expect((await kp('GET', `/keys/${key.id}/metadata`)).body.resources[0].dualAuthDelete).toMatchObject({ enabled: true, keySetForDeletion: false });

    await status(kp('POST', `/keys/${alias}/actions/disable`), 204);
    await status(kp('POST', `/keys/${alias}/actions/sync`), 204);
    await s.kms.app.get(EventRelay).runOnce();
    await expectEventually(() => expect(tap.of(key.id).map((e) => e.event.eventType)).toEqual(['key.disabled', 'key.disabled']));

    await status(svc('DELETE', regPath(alias, crn)), 204);
    expect((await kp('GET', `/keys/${key.id}/registrations`)).body.metadata.collectionTotal).toBe(0);
  });

  it('honours X-Kms-Key-Ring on every route issue 7 added: the key only in its ring, an unknown ring named', async () => {
    const ring = unique('ring');
    const other = unique('other');
    await status(kp('POST', `/key_rings/${ring}`), 201);
    await status(kp('POST', `/key_rings/${other}`), 201);
    const inRing = { 'x-kms-key-ring': ring };
    const key = await createRoot(inRing);
    const alias = unique('ringed');
    await status(kp('POST', `/keys/${key.id}/aliases/${alias}`, undefined, inRing), 201);
    const crn = workspaceCrn();
    await expectEventually(() => status(svc('POST', regPath(key.id, crn), regBody({}), inRing), 201), { timeoutMs: 20_000, intervalMs: 200 });

    type Route = [string, string, unknown, boolean];
    const routes: Route[] = [
      ['GET', `/keys/${key.id}/registrations`, undefined, false],
      ['POST', regPath(key.id, workspaceCrn()), regBody({}), true],
      ['PATCH', regPath(key.id, crn), regBody({ description: 'x' }), true],
      ['PUT', regPath(key.id, crn), regBody({ description: 'x' }), true],
      ['DELETE', regPath(key.id, crn), undefined, true],
      ['GET', `/keys/${key.id}/policies`, undefined, false],
      ['PUT', `/keys/${key.id}/policies`, keyPolicies({ rotation: { interval_month: 2 } }), false],
      ['POST', `/keys/${key.id}/actions/setKeyForDeletion`, undefined, false],
      ['POST', `/keys/${key.id}/actions/unsetKeyForDeletion`, undefined, false],
      ['POST', `/keys/${key.id}/actions/sync`, undefined, false],
      ['POST', `/keys/${key.id}/aliases/${unique('nope')}`, undefined, false],
      ['DELETE', `/keys/${key.id}/aliases/${alias}`, undefined, false],
      ['GET', `/keys/${alias}/policies`, undefined, false],
    ];
    for (const [method, path, body, asService] of routes) {
      const send = (headers: Record<string, string>) => (asService ? svc(method, path, body, headers) : kp(method, path, body, headers));
      const elsewhere = await send({ 'x-kms-key-ring': other });
      expect({ method, path, status: elsewhere.status, code: reason(elsewhere) }).toEqual({ method, path, status: 404, code: 'KEY_NOT_FOUND_ERR' });
      const unknown = await send({ 'x-kms-key-ring': unique('never') });
      expect({ method, path, status: unknown.status, code: reason(unknown) }).toEqual({ method, path, status: 404, code: 'KEY_RING_NOT_FOUND_ERR' });
    }
    // Nothing was written by the refused calls; in its own ring each call works.
    expect((await kp('GET', `/keys/${key.id}/registrations`, undefined, inRing)).body.resources).toEqual([expect.objectContaining({ resourceCrn: crn })]);
    expect((await kp('GET', `/keys/${key.id}/policies`, undefined, inRing)).body.metadata.collectionTotal).toBe(0);
    expect((await kp('GET', `/keys/${key.id}`)).body.resources[0].aliases).toEqual([alias]);
    await status(svc('PATCH', regPath(key.id, crn), regBody({ description: 'in ring' }), inRing), 200);
    await status(kp('GET', `/keys/${alias}/policies`, undefined, inRing), 200);
    await status(kp('POST', `/keys/${key.id}/actions/sync`, undefined, inRing), 204);
    // The instance-wide list narrows to the ring.
    const ringList = await kp('GET', '/keys/registrations', undefined, inRing);
    expect(ringList.body.resources.map((r: { resourceCrn: string }) => r.resourceCrn)).toEqual([crn]);
    expect((await kp('GET', '/keys/registrations', undefined, { 'x-kms-key-ring': other })).body.metadata.collectionTotal).toBe(0);
    await status(svc('DELETE', regPath(key.id, crn), undefined, inRing), 204);
  });

  it('GET /keys/registrations with X-Kms-Key-Ring is decided on that ring, as GET /keys: a ring-scoped user lists there, an unknown ring is named', async () => {
    const ring = unique('scoped');
    const outside = unique('outside');
    await status(kp('POST', `/key_rings/${ring}`), 201);
    await status(kp('POST', `/key_rings/${outside}`), 201);
    const key = await createRoot({ 'x-kms-key-ring': ring });
    const crn = workspaceCrn();
    await registerEventually(key.id, crn);
    const user = await call(s.iamUrl, s.admin, 'POST', '/v1/users', { name: unique('ring-reader') });
    const apiKey = await call(s.iamUrl, s.admin, 'POST', '/v1/apikeys', { name: 'ring-reader-key', iam_id: user.body.iam_id });
    const policy = await call(s.iamUrl, s.admin, 'POST', '/v2/policies', {
      type: 'access',
      subject: { attributes: [{ key: 'iam_id', operator: 'stringEquals', value: user.body.iam_id }] },
      resource: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: s.account },
          { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
          { key: 'serviceInstance', operator: 'stringEquals', value: instance.guid },
          { key: 'keyRing', operator: 'stringEquals', value: ring },
        ],
      },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    });
    expect([user.status, apiKey.status, policy.status]).toEqual([201, 201, 201]);
    const token = await tokenFor(s.iamUrl, apiKey.body.apikey as string);

    const listed = await expectEventually(() => status(kp('GET', '/keys/registrations', undefined, { 'x-kms-key-ring': ring }, token), 200), { timeoutMs: 20_000, intervalMs: 200 });
    expect(listed.body.resources.map((r: { resourceCrn: string }) => r.resourceCrn)).toEqual([crn]);
    for (const headers of [{}, { 'x-kms-key-ring': outside }] as Record<string, string>[]) {
      const refused = await kp('GET', '/keys/registrations', undefined, headers, token);
      expect({ headers, status: refused.status, code: reason(refused) }).toEqual({ headers, status: 401, code: 'UNAUTHORIZED_ERR' });
    }
    const unknown = await kp('GET', '/keys/registrations', undefined, { 'x-kms-key-ring': unique('never') });
    expect([unknown.status, reason(unknown)]).toEqual([404, 'KEY_RING_NOT_FOUND_ERR']);
    expect((await kp('GET', '/keys/registrations', undefined, { 'x-kms-key-ring': 'default' })).body.resources.map((r: { keyId: string }) => r.keyId)).not.toContain(key.id);
  });

  it('never lets a dual-authorized delete past a registration (PREV_KEY_DEL_ERR, PROTECTED_RESOURCE_ERR), and keeps the authorization', async () => {
    const second = await userWithRole(s, unique('second-manager'), 'Manager');
    const key = await createRoot();
    await status(kp('PUT', `/keys/${key.id}/policies`, keyPolicies({ dualAuthDelete: { enabled: true } })), 200);
    const crn = workspaceCrn();
    await registerEventually(key.id, crn, regBody({ preventKeyDeletion: true }));
    await expectEventually(() => status(kp('POST', `/keys/${key.id}/actions/setKeyForDeletion`, undefined, {}, second.token), 204), { timeoutMs: 20_000, intervalMs: 200 });

    for (const path of [`/keys/${key.id}`, `/keys/${key.id}?force=true`]) {
      const refused = await kp('DELETE', path);
      expect([path, refused.status, reason(refused)]).toEqual([path, 409, 'PREV_KEY_DEL_ERR']);
    }
    await status(svc('PATCH', regPath(key.id, crn), regBody({ preventKeyDeletion: false })), 200);
    const unforced = await kp('DELETE', `/keys/${key.id}`);
    expect([unforced.status, reason(unforced)]).toEqual([409, 'PROTECTED_RESOURCE_ERR']);
    // The refused deletes used nothing up: the second Manager's authorization still counts.
    expect((await kp('GET', `/keys/${key.id}/metadata`)).body.resources[0]).toMatchObject({ state: 1, dualAuthDelete: { enabled: true, keySetForDeletion: true } });
    await status(kp('DELETE', `/keys/${key.id}?force=true`), 204);
    expect((await kp('GET', `/keys/${key.id}/metadata`)).body.resources[0].state).toBe(5);
  });

  it('keyCreateImportAccess with enforce_token: a secure import (create and rotate) goes through, a plain one is refused', async () => {
    const own = await s.instance('kms');
    const on = (method: string, path: string, body?: unknown) => kp(method, path, body, {}, s.admin, own.guid);
    const access = {
      metadata: { collectionType: INSTANCE_POLICY, collectionTotal: 1 },
      resources: [{ policy_type: 'keyCreateImportAccess', policy_data: { enabled: true, attributes: { import_standard_key: false, enforce_token: true } } }],
    };
    await status(on('PUT', '/instance/policies?policy=keyCreateImportAccess', access), 204);
    await status(on('POST', '/import_token', { expiration: 3600, maxAllowedRetrievals: 10 }), 200);
    const token = (await status(on('GET', '/import_token'), 200)).body as { payload: string; nonce: string };

    const material = randomBytes(32);
    const plain = await on('POST', '/keys', createKeyBody({ name: unique('plain'), extractable: false, payload: material.toString('base64') }));
    expect([plain.status, reason(plain)]).toEqual([409, 'KEY_CREATE_IMPORT_ACCESS_ERR']);
    const secure = await status(on('POST', '/keys', createKeyBody({ name: unique('secure'), extractable: false, ...encryptForImport(token, material) })), 201);
    const keyId = secure.body.resources[0].id as string;
    expect(secure.body.resources[0]).toMatchObject({ imported: true, extractable: false });
    await status(on('POST', `/keys/${keyId}/actions/rotate`, encryptForImport(token, randomBytes(32))), 204);
    // import_standard_key false holds for a secure import too; nothing was made by the refusals.
    const standard = await on('POST', '/keys', createKeyBody({ name: unique('std'), extractable: true, ...encryptForImport(token, randomBytes(32)) }));
    expect([standard.status, reason(standard)]).toEqual([409, 'KEY_CREATE_IMPORT_ACCESS_ERR']);
    expect((await on('GET', '/keys')).body.metadata.collectionTotal).toBe(1);
    // The table holds no material (the leak test of import-tokens covers the logs).
    const rows = JSON.stringify(await s.kms.app.get(KmsPrisma).key.findMany({ where: { instanceGuid: own.guid } }));
    for (const text of [material.toString('hex'), material.toString('base64'), material.toString('base64url')]) expect(rows).not.toContain(text);
  });

  // Last: it moves the suite's clock by a month.
  it('publishes a rotation by the rotation-policy scheduler as key.rotated, naming the registrations', async () => {
    const key = await createRoot();
    const crn = workspaceCrn();
    await registerEventually(key.id, crn);
    await status(kp('PUT', `/keys/${key.id}/policies`, keyPolicies({ rotation: { interval_month: 1 } })), 200);
    s.clock.advance(32 * DAY);
    expect(await s.kms.app.get(RotationScheduler).runOnce()).toBeGreaterThanOrEqual(1);
    const v2 = (await kp('GET', `/keys/${key.id}/metadata`)).body.resources[0].keyVersion.id as string;
    expect(v2).not.toBe(key.keyVersion.id);
    await s.kms.app.get(EventRelay).runOnce();
    const [rotated] = await expectEventually(() => {
      const events = tap.of(key.id);
      expect(events).toHaveLength(1);
      return events;
    });
    expect(rotated?.event).toMatchObject({
      eventType: 'key.rotated',
      keyState: 1,
      oldKeyVersionId: key.keyVersion.id,
      newKeyVersionId: v2,
      registrations: [{ resourceCrn: crn, preventKeyDeletion: false }],
    });
    expect(rotated?.msgId).toBe(rotated?.event.eventId);
    expect((await kp('GET', `/keys/${key.id}/metadata`)).body.resources[0].pendingEventAcks).toEqual([
      expect.objectContaining({ eventId: rotated?.event.eventId, eventType: 'key.rotated', resourceCrn: crn }),
    ]);
  });
});
