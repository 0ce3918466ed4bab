import { randomBytes } from 'node:crypto';
import { expectEventually } from '@keyward/testing';
import { KmsPrisma } from '../database/kms-prisma.service';
import { type KmsSuite, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';

const RING_TYPE = 'application/vnd.ibm.kms.key_ring+json';

// Key rings (KEY-PROTECT-API.md §2) through the real HSM and IAM, over real NATS and Postgres.
describe('KMS key rings', () => {
  let s: KmsSuite;
  let instance: { guid: string; crn: string };

  beforeAll(async () => {
    s = await startKmsSuite();
    instance = await s.instance('kms');
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const kp = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, guid = instance.guid) =>
    call(s.kms.url, s.admin, method, `/api/v2${path}`, body, { 'bluemix-instance': guid, ...headers });
  const ringName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;
  const createRing = async (id: string, guid = instance.guid) => {
    const created = await kp('POST', `/key_rings/${id}`, undefined, {}, guid);
    expect({ status: created.status, text: created.text }).toEqual({ status: 201, text: '' });
  };
  const createKey = async (ring?: string, resource: Record<string, unknown> = {}) => {
    const created = await kp('POST', '/keys', createKeyBody({ name: ringName('key'), extractable: false, ...resource }), ring ? { 'x-kms-key-ring': ring } : {});
    expect(created.status).toBe(201);
    return created.body.resources[0] as { id: string; keyRingID: string };
  };
  const ringIds = async (guid = instance.guid) => ((await kp('GET', '/key_rings', undefined, {}, guid)).body.resources as { id: string }[]).map((r) => r.id);
  const db = () => s.kms.app.get(KmsPrisma);

  it('lists `default` first on a new instance, then created rings in creation order (201 and 204 with no body)', async () => {
    const fresh = (await s.instance('kms')).guid;
    const initial = await kp('GET', '/key_rings', undefined, {}, fresh);
    expect(initial.status).toBe(200);
    expect(initial.body).toEqual({ metadata: { collectionType: RING_TYPE, collectionTotal: 1 }, resources: [{ id: 'default' }] });
    await createRing('ring-one', fresh);
    await createRing('ring-two', fresh);
    const listed = await kp('GET', '/key_rings?totalCount=true&limit=2&offset=1', undefined, {}, fresh);
    expect(listed.body.metadata).toEqual({ collectionType: RING_TYPE, collectionTotal: 2, totalCount: 3 });
    expect(listed.body.resources).toEqual([
      { id: 'ring-one', creationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), createdBy: expect.any(String) },
      { id: 'ring-two', creationDate: expect.any(String), createdBy: expect.any(String) },
    ]);
    const deleted = await kp('DELETE', '/key_rings/ring-two', undefined, {}, fresh);
    expect({ status: deleted.status, text: deleted.text }).toEqual({ status: 204, text: '' });
    expect(await ringIds(fresh)).toEqual(['default', 'ring-one']);
  });

  it('refuses bad ring ids (400 INVALID_FIELD_ERR), a second ring of the same id and `default` (409 KEY_RING_EXISTS_ERR)', async () => {
    // (Path segments over 100 characters never reach the KMS: the HTTP router answers 414 for any route.)
    for (const bad of ['a', 'has.dot', 'sp%20ace', 'semi;colon']) {
      const refused = await kp('POST', `/key_rings/${bad}`);
      expect({ bad, status: refused.status, code: reason(refused) }).toEqual({ bad, status: 400, code: 'INVALID_FIELD_ERR' });
    }
    const id = ringName('dup');
    await createRing(id);
    const again = await kp('POST', `/key_rings/${id}`);
    expect({ status: again.status, code: reason(again) }).toEqual({ status: 409, code: 'KEY_RING_EXISTS_ERR' });
    const theDefault = await kp('POST', '/key_rings/default');
    expect({ status: theDefault.status, code: reason(theDefault) }).toEqual({ status: 409, code: 'KEY_RING_EXISTS_ERR' });
    expect((await ringIds()).filter((r) => r === id)).toHaveLength(1);
  });

  it('allows at most 50 rings per instance, `default` included (409 KEY_RING_QUOTA_ERR), also under concurrent creation', async () => {
    const fresh = (await s.instance('kms')).guid;
    const attempts = await Promise.all(Array.from({ length: 55 }, (_, i) => kp('POST', `/key_rings/q-${i}`, undefined, {}, fresh)));
    expect(attempts.filter((a) => a.status === 201)).toHaveLength(49);
    const refused = attempts.filter((a) => a.status !== 201);
    expect(refused.map((a) => `${a.status} ${reason(a)}`)).toEqual(Array.from({ length: 6 }, () => '409 KEY_RING_QUOTA_ERR'));
    expect(await ringIds(fresh)).toHaveLength(50);
  });

  it('creates a key in the ring of X-Kms-Key-Ring; an unknown ring is 404 KEY_RING_NOT_FOUND_ERR and nothing is created', async () => {
    const ring = ringName('team');
    await createRing(ring);
    const key = await createKey(ring);
    expect(key.keyRingID).toBe(ring);
    expect((await createKey()).keyRingID).toBe('default');
    const before = await db().key.count({ where: { instanceGuid: instance.guid } });
    const unknown = await kp('POST', '/keys', createKeyBody({ name: 'nowhere' }), { 'x-kms-key-ring': 'no-such-ring' });
    expect({ status: unknown.status, code: reason(unknown) }).toEqual({ status: 404, code: 'KEY_RING_NOT_FOUND_ERR' });
    expect(await db().key.count({ where: { instanceGuid: instance.guid } })).toBe(before);
  });

  it('finds a key only in its own ring when X-Kms-Key-Ring is sent, on every key call', async () => {
    const ring = ringName('scoped');
    await createRing(ring);
    const other = ringName('other');
    await createRing(other);
    const key = await createKey(ring);
    const inRing = { 'x-kms-key-ring': ring };
    expect((await kp('GET', `/keys/${key.id}`, undefined, inRing)).status).toBe(200);
    expect((await kp('GET', `/keys/${key.id}/metadata`, undefined, inRing)).status).toBe(200);
    const wrapped = await kp('POST', `/keys/${key.id}/actions/wrap`, {}, inRing);
    expect(wrapped.status).toBe(200);
    expect((await kp('GET', `/keys/${key.id}`)).status).toBe(200);
    for (const [method, path, body] of [
      ['GET', `/keys/${key.id}`, undefined],
      ['GET', `/keys/${key.id}/versions`, undefined],
      ['POST', `/keys/${key.id}/actions/wrap`, {}],
      ['POST', `/keys/${key.id}/actions/unwrap`, { ciphertext: wrapped.body.ciphertext }],
      ['POST', `/keys/${key.id}/actions/disable`, undefined],
      ['DELETE', `/keys/${key.id}`, undefined],
    ] as const) {
      const elsewhere = await kp(method, path, body, { 'x-kms-key-ring': other });
      expect({ path, method, status: elsewhere.status, code: reason(elsewhere) }).toEqual({ path, method, status: 404, code: 'KEY_NOT_FOUND_ERR' });
      const unknown = await kp(method, path, body, { 'x-kms-key-ring': 'never-made' });
      expect({ path, method, status: unknown.status, code: reason(unknown) }).toEqual({ path, method, status: 404, code: 'KEY_RING_NOT_FOUND_ERR' });
    }
    expect((await kp('GET', `/keys/${key.id}`)).body.resources[0].state).toBe(1);
  });

  it('lists and counts (HEAD) only the keys of the ring named by X-Kms-Key-Ring', async () => {
    const ring = ringName('listed');
    await createRing(ring);
    const mine = [await createKey(ring), await createKey(ring)];
    await createKey();
    const listed = await kp('GET', '/keys?limit=5000', undefined, { 'x-kms-key-ring': ring });
    expect(listed.status).toBe(200);
    expect((listed.body.resources as { id: string }[]).map((k) => k.id).sort()).toEqual(mine.map((k) => k.id).sort());
    const head = await kp('HEAD', '/keys', undefined, { 'x-kms-key-ring': ring });
    expect(head.headers.get('key-total')).toBe('2');
    const all = await kp('GET', '/keys?limit=5000');
    expect((all.body.resources as unknown[]).length).toBeGreaterThan(2);
    const unknown = await kp('GET', '/keys', undefined, { 'x-kms-key-ring': 'never-made' });
    expect({ status: unknown.status, code: reason(unknown) }).toEqual({ status: 404, code: 'KEY_RING_NOT_FOUND_ERR' });
  });

  it('moves a key between rings with PATCH (keyRingID, and the Go client’s KeyRingID)', async () => {
    const from = ringName('from');
    const to = ringName('to');
    await createRing(from);
    await createRing(to);
    const key = await createKey(from);
    const moved = await kp('PATCH', `/keys/${key.id}`, { keyRingID: to }, { 'x-kms-key-ring': from });
    expect(moved.status).toBe(200);
    expect(moved.body.metadata).toEqual({ collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 });
    expect(moved.body.resources[0]).toMatchObject({ id: key.id, keyRingID: to });
    // The Go client capitalises the field (and sends no JSON Content-Type: here the body goes as text).
    const back = await kp('PATCH', `/keys/${key.id}`, JSON.stringify({ KeyRingID: 'default' }));
    expect(back.status).toBe(200);
    expect(back.body.resources[0].keyRingID).toBe('default');
    expect((await kp('GET', `/keys/${key.id}`, undefined, { 'x-kms-key-ring': 'default' })).status).toBe(200);
  });

  it('refuses bad PATCH input with the documented codes and leaves the key where it was', async () => {
    const ring = ringName('stay');
    await createRing(ring);
    const key = await createKey(ring);
    const cases: [unknown, number, string][] = [
      [undefined, 400, 'NO_BODY_ERR'],
      ['null', 400, 'NO_BODY_ERR'],
      ['{not json', 400, 'BAD_BODY_ERR'],
      [[], 400, 'BAD_BODY_ERR'],
      [{}, 400, 'INVALID_FIELD_ERR'],
      [{ keyRingID: 5 }, 400, 'INVALID_FIELD_ERR'],
      [{ keyRingID: 'bad ring' }, 400, 'INVALID_FIELD_ERR'],
      [{ keyRingID: 'x'.repeat(101) }, 400, 'INVALID_FIELD_ERR'],
      [{ keyRingID: 'never-made' }, 404, 'KEY_RING_NOT_FOUND_ERR'],
    ];
    for (const [body, status, code] of cases) {
      const refused = await kp('PATCH', `/keys/${key.id}`, body);
      expect({ body, status: refused.status, code: reason(refused) }).toEqual({ body, status, code });
    }
    const unknownKey = await kp('PATCH', '/keys/11111111-1111-4111-8111-111111111111', { keyRingID: 'default' });
    expect({ status: unknownKey.status, code: reason(unknownKey) }).toEqual({ status: 404, code: 'KEY_NOT_FOUND_ERR' });
    expect((await kp('GET', `/keys/${key.id}`)).body.resources[0].keyRingID).toBe(ring);
  });

  it('does not delete a ring holding keys that are not destroyed (409 KEY_RING_KEYS_NOT_DELETED_ERR), even with force', async () => {
    const ring = ringName('busy');
    await createRing(ring);
    await createKey(ring);
    for (const query of ['', '?force=true']) {
      const refused = await kp('DELETE', `/key_rings/${ring}${query}`);
      expect({ query, status: refused.status, code: reason(refused) }).toEqual({ query, status: 409, code: 'KEY_RING_KEYS_NOT_DELETED_ERR' });
    }
    expect(await ringIds()).toContain(ring);
  });

  it('with only destroyed keys: 409 KEY_RING_NOT_EMPTY_ERR without force; with force the keys move to `default`', async () => {
    const ring = ringName('done');
    await createRing(ring);
    const key = await createKey(ring);
    expect((await kp('DELETE', `/keys/${key.id}`)).status).toBe(204);
    const refused = await kp('DELETE', `/key_rings/${ring}`);
    expect({ status: refused.status, code: reason(refused) }).toEqual({ status: 409, code: 'KEY_RING_NOT_EMPTY_ERR' });
    const bad = await kp('DELETE', `/key_rings/${ring}?force=yes`);
    expect({ status: bad.status, code: reason(bad) }).toEqual({ status: 400, code: 'INVALID_QUERY_PARAM_ERR' });
    const forced = await kp('DELETE', `/key_rings/${ring}?force=true`);
    expect({ status: forced.status, text: forced.text }).toEqual({ status: 204, text: '' });
    expect(await ringIds()).not.toContain(ring);
    expect((await kp('GET', `/keys/${key.id}`, undefined, { 'x-kms-key-ring': 'default' })).body.resources[0]).toMatchObject({ keyRingID: 'default', state: 5 });
  });

  it('takes `force` from an old Go client’s body too; refuses `default` and unknown rings', async () => {
    const ring = ringName('gobody');
    await createRing(ring);
    const key = await createKey(ring);
    expect((await kp('DELETE', `/keys/${key.id}`)).status).toBe(204);
    expect((await kp('DELETE', `/key_rings/${ring}`, JSON.stringify({ Force: true }))).status).toBe(204);
    const theDefault = await kp('DELETE', '/key_rings/default?force=true');
    expect({ status: theDefault.status, code: reason(theDefault) }).toEqual({ status: 400, code: 'INVALID_FIELD_ERR' });
    const unknown = await kp('DELETE', '/key_rings/never-made');
    expect({ status: unknown.status, code: reason(unknown) }).toEqual({ status: 404, code: 'KEY_RING_NOT_FOUND_ERR' });
  });

  it('never leaves a key in a deleted ring when creation and ring deletion race', async () => {
    for (let round = 0; round < 5; round++) {
      const ring = ringName('race');
      await createRing(ring);
      const [created, deleted] = await Promise.all([
        kp('POST', '/keys', createKeyBody({ name: 'racer' }), { 'x-kms-key-ring': ring }),
        kp('DELETE', `/key_rings/${ring}`),
      ]);
      const ringLeft = (await ringIds()).includes(ring);
      const keysInRing = await db().key.count({ where: { instanceGuid: instance.guid, keyRingId: ring } });
      if (created.status === 201) {
        expect({ ringLeft, keysInRing, deleted: deleted.status }).toEqual({ ringLeft: true, keysInRing: 1, deleted: 409 });
      } else {
        expect({ created: created.status, code: reason(created), ringLeft, keysInRing, deleted: deleted.status }).toEqual({ created: 404, code: 'KEY_RING_NOT_FOUND_ERR', ringLeft: false, keysInRing: 0, deleted: 204 });
      }
    }
  });

  it('honours a policy scoped to one key ring (IAM `keyRing`): keys there only, and moving needs the target ring too', async () => {
    const ring = ringName('scoped-iam');
    const outside = ringName('outside');
    await createRing(ring);
    await createRing(outside);
    const user = await call(s.iamUrl, s.admin, 'POST', '/v1/users', { name: ringName('ring-manager') });
    expect(user.status).toBe(201);
    const apiKey = await call(s.iamUrl, s.admin, 'POST', '/v1/apikeys', { name: 'ring-manager-key', iam_id: user.body.iam_id });
    expect(apiKey.status).toBe(201);
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
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Manager' }] } },
    });
    expect(policy.status).toBe(201);
    const token = await tokenFor(s.iamUrl, apiKey.body.apikey);
    const asUser = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      call(s.kms.url, token, method, `/api/v2${path}`, body, { 'bluemix-instance': instance.guid, ...headers });

    let mine: { id: string } | undefined;
    await expectEventually(async () => {
      const created = await asUser('POST', '/keys', createKeyBody({ name: 'in-my-ring' }), { 'x-kms-key-ring': ring });
      expect(created.status).toBe(201);
      mine = created.body.resources[0];
    });
    const id = (mine as { id: string }).id;
    expect((await asUser('GET', `/keys/${id}`)).status).toBe(200);
    expect((await asUser('POST', `/keys/${id}/actions/wrap`, {})).status).toBe(200);
    const listed = await asUser('GET', '/keys', undefined, { 'x-kms-key-ring': ring });
    expect((listed.body.resources as { id: string }[]).map((k) => k.id)).toEqual([id]);
    const theirs = await createKey(outside);
    for (const [method, path, headers] of [
      ['POST', '/keys', { 'x-kms-key-ring': outside }],
      ['POST', '/keys', {}],
      ['GET', '/keys', {}],
      ['GET', '/keys', { 'x-kms-key-ring': outside }],
      ['GET', `/keys/${theirs.id}`, {}],
      ['PATCH', `/keys/${id}`, {}],
      ['POST', '/key_rings/by-ring-manager', {}],
    ] as const) {
      const body = method === 'PATCH' ? { keyRingID: outside } : method === 'POST' && path === '/keys' ? createKeyBody({ name: 'not-mine' }) : undefined;
      const refused = await asUser(method, path, body, headers);
      expect({ method, path, headers, status: refused.status, code: reason(refused) }).toEqual({ method, path, headers, status: 401, code: 'UNAUTHORIZED_ERR' });
    }
    expect((await kp('GET', `/keys/${id}`)).body.resources[0].keyRingID).toBe(ring);
  });

  it('refuses a caller with no policy on the instance (401) for every ring route', async () => {
    const stranger = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_APPRAPP'] as string);
    for (const [method, path] of [
      ['GET', '/key_rings'],
      ['POST', '/key_rings/from-stranger'],
      ['DELETE', '/key_rings/from-stranger'],
    ]) {
      const refused = await call(s.kms.url, stranger, method as string, `/api/v2${path as string}`, undefined, { 'bluemix-instance': instance.guid });
      expect({ path, status: refused.status, code: reason(refused) }).toEqual({ path, status: 401, code: 'UNAUTHORIZED_ERR' });
    }
    expect(await ringIds()).not.toContain('from-stranger');
  });
});
