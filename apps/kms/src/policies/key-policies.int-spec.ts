import { randomBytes } from 'node:crypto';
import { RotationScheduler } from './rotation.scheduler';
import { type KmsSuite, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';
import { untilAllowed, userWithRole } from '../testing/iam-users';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const POLICY = 'application/vnd.ibm.kms.policy+json';
const DAY = 24 * 3600 * 1000;
const policyBody = (...resources: Record<string, unknown>[]) => ({
  metadata: { collectionType: POLICY, collectionTotal: resources.length },
  resources: resources.map((r) => ({ type: POLICY, ...r })),
});

// Key policies (rotation, dualAuthDelete), the rotation scheduler and dual-authorization deletion,
// through real IAM, HSM, NATS and Postgres.
describe('KMS key policies and dual authorization (Key Protect v2)', () => {
  let s: KmsSuite;
  let instance: { guid: string; crn: string };
  let manager2: { iamId: string; token: string };

  beforeAll(async () => {
    s = await startKmsSuite();
    instance = await s.instance('kms');
    manager2 = await userWithRole(s, 'second-manager', 'Manager');
    await untilAllowed(async () => (await kpOn(instance.guid, 'GET', '/keys', undefined, {}, manager2.token)).status);
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const kpOn = (guid: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token: string = s.admin) =>
    call(s.kms.url, token, method, `/api/v2${path}`, body, { 'bluemix-instance': guid, ...headers });
  const kp = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token: string = s.admin) =>
    kpOn(instance.guid, method, path, body, headers, token);

  const createKey = async (resource: Record<string, unknown> = {}, guid = instance.guid): Promise<Json> => {
    const created = await kpOn(guid, 'POST', '/keys', createKeyBody({ name: `k-${randomBytes(3).toString('hex')}`, extractable: false, ...resource }));
    expect(created.status).toBe(201);
    return created.body.resources[0] as Json;
  };
  const versionCount = async (id: string, guid = instance.guid) => (await kpOn(guid, 'GET', `/keys/${id}/versions`)).body.metadata.collectionTotal as number;
  const scheduler = () => s.kms.app.get(RotationScheduler);

  describe('GET/PUT /keys/{id}/policies', () => {
    it('answers a key without policies with collectionTotal 0 and no resources', async () => {
      const key = await createKey();
      const got = await kp('GET', `/keys/${key['id']}/policies`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({ metadata: { collectionType: POLICY, collectionTotal: 0 } });
    });

    it('sets a rotation policy the Go client way (interval only), then both policies; GET filters by ?policy=', async () => {
      const key = await createKey();
      const rotation = await kp('PUT', `/keys/${key['id']}/policies?policy=rotation`, policyBody({ rotation: { interval_month: 3 } }));
      expect(rotation.status).toBe(200);
      expect(rotation.body.metadata).toEqual({ collectionType: POLICY, collectionTotal: 1 });
      expect(rotation.body.resources[0]).toMatchObject({
        type: POLICY,
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        crn: key['crn'],
        rotation: { enabled: true, interval_month: 3 },
        createdBy: expect.any(String),
        creationDate: expect.stringMatching(/Z$/),
        updatedBy: expect.any(String),
        lastUpdateDate: expect.stringMatching(/Z$/),
      });
      const both = await kp('PUT', `/keys/${key['id']}/policies`, policyBody({ rotation: { enabled: true, interval_month: 6 } }, { dualAuthDelete: { enabled: true } }));
      expect(both.status).toBe(200);
      expect(both.body.metadata.collectionTotal).toBe(2);
      const all = await kp('GET', `/keys/${key['id']}/policies`);
      expect(all.body.resources).toHaveLength(2);
      expect(all.body.resources.map((p: Json) => p['rotation'] ?? p['dualAuthDelete'])).toEqual(
        expect.arrayContaining([{ enabled: true, interval_month: 6 }, { enabled: true }]),
      );
      // The policy id stays the same across updates.
      expect(all.body.resources.find((p: Json) => p['rotation'])?.id).toBe(rotation.body.resources[0].id);
      const onlyDual = await kp('GET', `/keys/${key['id']}/policies?policy=dualAuthDelete`);
      expect(onlyDual.body.resources).toEqual([expect.objectContaining({ dualAuthDelete: { enabled: true } })]);
      // Disabling rotation keeps the interval.
      const off = await kp('PUT', `/keys/${key['id']}/policies?policy=rotation`, policyBody({ rotation: { enabled: false } }));
      expect(off.body.resources[0].rotation).toEqual({ enabled: false, interval_month: 6 });
      const meta = await kp('GET', `/keys/${key['id']}/metadata`);
      expect(meta.body.resources[0].dualAuthDelete).toEqual({ enabled: true, keySetForDeletion: false });
    });

    it('refuses bad input with its reason code and writes nothing', async () => {
      const key = await createKey();
      const standard = await createKey({ extractable: true });
      const path = `/keys/${key['id']}/policies`;
      const cases: [string, unknown, number, string][] = [
        [path, policyBody({ rotation: { interval_month: 0 } }), 400, 'INVALID_FIELD_ERR'],
        [path, policyBody({ rotation: { interval_month: 13 } }), 400, 'INVALID_FIELD_ERR'],
        [path, policyBody({ rotation: { interval_month: -1 } }), 400, 'INVALID_FIELD_ERR'],
        [path, policyBody({ rotation: { interval_month: '3' } }), 400, 'INVALID_FIELD_ERR'],
        [path, policyBody({ rotation: { enabled: 'yes', interval_month: 3 } }), 400, 'INVALID_FIELD_ERR'],
        [path, policyBody({ dualAuthDelete: { enabled: 'true' } }), 400, 'INVALID_FIELD_ERR'],
        [path, policyBody({ dualAuthDelete: {} }), 400, 'INVALID_FIELD_ERR'],
        [path, policyBody({ other: true }), 400, 'INVALID_FIELD_ERR'],
        [path, policyBody({ rotation: { interval_month: 1 } }, { rotation: { interval_month: 2 } }), 400, 'INVALID_FIELD_ERR'],
        [`${path}?policy=bogus`, policyBody({ rotation: { interval_month: 1 } }), 400, 'INVALID_QUERY_PARAM_ERR'],
        [`${path}?policy=rotation`, policyBody({ dualAuthDelete: { enabled: true } }), 400, 'BODY_QUERY_PARAM_MISMATCH_ERR'],
        [path, { metadata: { collectionType: POLICY, collectionTotal: 2 }, resources: [{ rotation: { interval_month: 1 } }] }, 400, 'COLLECTION_TOTAL_MISMATCH_ERR'],
        [path, { metadata: { collectionType: POLICY, collectionTotal: 0 }, resources: [] }, 400, 'NUM_COLLECTION_RESOURCE_ERR'],
        [path, '{"resources":', 400, 'BAD_BODY_ERR'],
        [path, '', 400, 'NO_BODY_ERR'],
        // A valid rotation with an invalid dual-auth policy: neither is written.
        [path, policyBody({ rotation: { interval_month: 2 } }, { dualAuthDelete: { enabled: 1 } }), 400, 'INVALID_FIELD_ERR'],
        [`/keys/${standard['id']}/policies`, policyBody({ rotation: { interval_month: 2 } }), 400, 'KEY_ROOT_REQ_ERR'],
        ['/keys/11111111-1111-4111-8111-111111111111/policies', policyBody({ rotation: { interval_month: 2 } }), 404, 'KEY_NOT_FOUND_ERR'],
      ];
      for (const [target, body, status, code] of cases) {
        const response = await kp('PUT', target, body);
        expect({ body, status: response.status, code: reason(response) }).toEqual({ body, status, code });
      }
      expect((await kp('GET', path)).body.metadata.collectionTotal).toBe(0);
      expect((await kp('GET', `/keys/${standard['id']}/policies`)).body.metadata.collectionTotal).toBe(0);
      expect(reason(await kp('GET', `${path}?policy=nope`))).toBe('INVALID_QUERY_PARAM_ERR');
    });

    it('never turns dualAuthDelete off once on', async () => {
      const key = await createKey();
      expect((await kp('PUT', `/keys/${key['id']}/policies`, policyBody({ dualAuthDelete: { enabled: true } }))).status).toBe(200);
      const off = await kp('PUT', `/keys/${key['id']}/policies`, policyBody({ dualAuthDelete: { enabled: false } }));
      expect(off.status).toBe(400);
      expect(reason(off)).toBe('INVALID_FIELD_ERR');
      expect((await kp('GET', `/keys/${key['id']}/policies`)).body.resources[0].dualAuthDelete).toEqual({ enabled: true });
      // Setting it on again is fine (idempotent).
      expect((await kp('PUT', `/keys/${key['id']}/policies`, policyBody({ dualAuthDelete: { enabled: true } }))).status).toBe(200);
    });

    it('refuses callers without policies access (401), Readers included', async () => {
      const key = await createKey();
      const apprapp = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_APPRAPP'] as string);
      expect(reason(await kp('GET', `/keys/${key['id']}/policies`, undefined, {}, apprapp))).toBe('UNAUTHORIZED_ERR');
      const reader = await userWithRole(s, 'policy-reader', 'Reader');
      await untilAllowed(async () => (await kp('GET', '/keys', undefined, {}, reader.token)).status);
      const put = await kp('PUT', `/keys/${key['id']}/policies`, policyBody({ rotation: { interval_month: 1 } }), {}, reader.token);
      expect(put.status).toBe(401);
      expect((await kp('GET', `/keys/${key['id']}/policies`)).body.metadata.collectionTotal).toBe(0);
    });
  });

  describe('the rotation scheduler', () => {
    it('rotates a key when its interval has passed since creation or the last rotation, once', async () => {
      const key = await createKey();
      const imported = await createKey({ payload: randomBytes(32).toString('base64') });
      const disabled = await createKey();
      for (const k of [key, imported]) {
        expect((await kp('PUT', `/keys/${k['id']}/policies`, policyBody({ rotation: { interval_month: 1 } }))).status).toBe(200);
      }
      expect((await kp('PUT', `/keys/${disabled['id']}/policies`, policyBody({ rotation: { enabled: false, interval_month: 1 } }))).status).toBe(200);
      await scheduler().runOnce();
      expect(await versionCount(key['id'])).toBe(1);
      s.clock.advance(32 * DAY);
      await scheduler().runOnce();
      expect(await versionCount(key['id'])).toBe(2);
      const meta = (await kp('GET', `/keys/${key['id']}/metadata`)).body.resources[0];
      expect(meta.lastRotateDate).toEqual(expect.stringMatching(/Z$/));
      // Imported keys need their owner's new material; a disabled policy rotates nothing.
      expect(await versionCount(imported['id'])).toBe(1);
      expect(await versionCount(disabled['id'])).toBe(1);
      // Due again only a month after that rotation.
      s.clock.advance(10 * DAY);
      await scheduler().runOnce();
      expect(await versionCount(key['id'])).toBe(2);
      s.clock.advance(25 * DAY);
      await scheduler().runOnce();
      expect(await versionCount(key['id'])).toBe(3);
    });

    it('applies the instance rotation policy to root keys without their own, and skips suspended keys', async () => {
      const other = await s.instance('kms');
      const plain = await createKey({}, other.guid);
      const own = await createKey({}, other.guid);
      const suspended = await createKey({}, other.guid);
      // A key's own rotation policy, even disabled, wins over the instance's.
      expect((await kpOn(other.guid, 'PUT', `/keys/${own['id']}/policies`, policyBody({ rotation: { enabled: false } }))).status).toBe(200);
      expect((await kpOn(other.guid, 'POST', `/keys/${suspended['id']}/actions/disable`)).status).toBe(204);
      const put = await kpOn(other.guid, 'PUT', '/instance/policies?policy=rotation', {
        metadata: { collectionType: POLICY, collectionTotal: 1 },
        resources: [{ policy_type: 'rotation', policy_data: { enabled: true, attributes: { interval_month: 2 } } }],
      });
      expect(put.status).toBe(204);
      s.clock.advance(40 * DAY);
      await scheduler().runOnce();
      expect(await versionCount(plain['id'], other.guid)).toBe(1);
      s.clock.advance(25 * DAY);
      await scheduler().runOnce();
      expect(await versionCount(plain['id'], other.guid)).toBe(2);
      expect(await versionCount(own['id'], other.guid)).toBe(1);
      expect((await kpOn(other.guid, 'GET', `/keys/${suspended['id']}/versions?allKeyStates=true`)).body.metadata.collectionTotal).toBe(1);
    });
  });

  describe('dual authorization', () => {
    const dualKey = async (guid = instance.guid) => {
      const key = await createKey({}, guid);
      expect((await kpOn(guid, 'PUT', `/keys/${key['id']}/policies`, policyBody({ dualAuthDelete: { enabled: true } }))).status).toBe(200);
      return key;
    };

    it('deletes only after a setKeyForDeletion by another Manager', async () => {
      const key = await dualKey();
      const early = await kp('DELETE', `/keys/${key['id']}`);
      expect(early.status).toBe(409);
      expect(reason(early)).toBe('AUTHORIZATIONS_NOT_MET');
      // The Go client sends the literal body `null`.
      expect((await kp('POST', `/keys/${key['id']}/actions/setKeyForDeletion`, 'null')).status).toBe(204);
      const meta = (await kp('GET', `/keys/${key['id']}/metadata`)).body.resources[0];
      expect(meta.state).toBe(1);
      expect(meta.dualAuthDelete).toEqual({
        enabled: true,
        keySetForDeletion: true,
        authExpiration: new Date(s.clock.now().getTime() + 7 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
      const same = await kp('DELETE', `/keys/${key['id']}`);
      expect(same.status).toBe(409);
      expect(reason(same)).toBe('AUTHORIZATIONS_NOT_MET');
      const deleted = await kp('DELETE', `/keys/${key['id']}`, undefined, { prefer: 'return=representation' }, manager2.token);
      expect(deleted.status).toBe(200);
      expect(deleted.body.resources[0]).toMatchObject({ state: 5, dualAuthDelete: { enabled: true, keySetForDeletion: false } });
      // Restored, it needs a new authorization.
      s.clock.advance(31_000);
      expect((await kp('POST', `/keys/${key['id']}/restore`)).status).toBe(201);
      expect(reason(await kp('DELETE', `/keys/${key['id']}`, undefined, {}, manager2.token))).toBe('AUTHORIZATIONS_NOT_MET');
    });

    it('lets the authorization lapse after 7 days, and withdraws it on unsetKeyForDeletion', async () => {
      const lapsing = await dualKey();
      expect((await kp('POST', `/keys/${lapsing['id']}/actions/setKeyForDeletion`)).status).toBe(204);
      s.clock.advance(7 * DAY + 1000);
      expect(reason(await kp('DELETE', `/keys/${lapsing['id']}`, undefined, {}, manager2.token))).toBe('AUTHORIZATIONS_NOT_MET');
      expect((await kp('GET', `/keys/${lapsing['id']}/metadata`)).body.resources[0].dualAuthDelete).toEqual({ enabled: true, keySetForDeletion: false });

      const withdrawn = await dualKey();
      expect((await kp('POST', `/keys/${withdrawn['id']}/actions/setKeyForDeletion`, undefined, {}, manager2.token)).status).toBe(204);
      expect((await kp('POST', `/keys/${withdrawn['id']}/actions/unsetKeyForDeletion`)).status).toBe(204);
      expect(reason(await kp('DELETE', `/keys/${withdrawn['id']}`))).toBe('AUTHORIZATIONS_NOT_MET');
      expect((await kp('GET', `/keys/${withdrawn['id']}`)).body.resources[0].state).toBe(1);
      // Set by the second manager, deleted by the first: fine.
      expect((await kp('POST', `/keys/${withdrawn['id']}/actions/setKeyForDeletion`, undefined, {}, manager2.token)).status).toBe(204);
      expect((await kp('DELETE', `/keys/${withdrawn['id']}`)).status).toBe(204);
    });

    it('answers NOT_DUAL_AUTH_ERR for a key without dual authorization, 404 for an unknown key', async () => {
      const key = await createKey();
      for (const action of ['setKeyForDeletion', 'unsetKeyForDeletion']) {
        const response = await kp('POST', `/keys/${key['id']}/actions/${action}`);
        expect({ action, status: response.status, code: reason(response) }).toEqual({ action, status: 409, code: 'NOT_DUAL_AUTH_ERR' });
      }
      expect(reason(await kp('POST', '/keys/11111111-1111-4111-8111-111111111111/actions/setKeyForDeletion'))).toBe('KEY_NOT_FOUND_ERR');
      expect(reason(await kp('POST', `/keys/${key['id']}/actions/setKeyForDeletion`, '[1]'))).toBe('BAD_BODY_ERR');
      // Without dual authorization, one Manager deletes alone.
      expect((await kp('DELETE', `/keys/${key['id']}`)).status).toBe(204);
      expect(reason(await kp('POST', `/keys/${key['id']}/actions/setKeyForDeletion`))).toBe('KEY_ACTION_INVALID_STATE_ERR');
    });

    it('applies the instance dualAuthDelete policy to every key of the instance while it is on', async () => {
      const other = await s.instance('kms');
      const key = await createKey({}, other.guid);
      const setPolicy = (enabled: boolean) =>
        kpOn(other.guid, 'PUT', '/instance/policies?policy=dualAuthDelete', {
          metadata: { collectionType: POLICY, collectionTotal: 1 },
          resources: [{ policy_type: 'dualAuthDelete', policy_data: { enabled } }],
        });
      expect((await setPolicy(true)).status).toBe(204);
      expect((await kpOn(other.guid, 'GET', `/keys/${key['id']}/metadata`)).body.resources[0].dualAuthDelete).toEqual({ enabled: true, keySetForDeletion: false });
      expect(reason(await kpOn(other.guid, 'DELETE', `/keys/${key['id']}`))).toBe('AUTHORIZATIONS_NOT_MET');
      expect((await kpOn(other.guid, 'POST', `/keys/${key['id']}/actions/setKeyForDeletion`)).status).toBe(204);
      expect((await kpOn(other.guid, 'DELETE', `/keys/${key['id']}`, undefined, {}, manager2.token)).status).toBe(204);
      // Off again: a Manager deletes alone.
      const second = await createKey({}, other.guid);
      expect((await setPolicy(false)).status).toBe(204);
      expect((await kpOn(other.guid, 'DELETE', `/keys/${second['id']}`)).status).toBe(204);
    });
  });
});
