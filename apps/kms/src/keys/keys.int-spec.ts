import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { expectEventually } from '@keyward/testing';
import { AuditWriter as AuditWriterRef } from '../audit/audit.writer';
import { KmsPrisma } from '../database/kms-prisma.service';
import { LifecycleScheduler } from '../schedulers/lifecycle.scheduler';
import { type KmsSuite, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';

// Keys and envelope encryption through the real HSM (platform domain) and real IAM, over real NATS and Postgres.
describe('KMS keys API (Key Protect v2)', () => {
  let s: KmsSuite;
  let instance: { guid: string; crn: string };
  const SECOND = 1000;

  beforeAll(async () => {
    s = await startKmsSuite();
    instance = await s.instance('kms');
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const kp = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token: string | null = s.admin) =>
    call(s.kms.url, token ?? undefined, method, `/api/v2${path}`, body, { 'bluemix-instance': instance.guid, ...headers });

  const createRoot = async (resource: Record<string, unknown> = {}) => {
    const created = await kp('POST', '/keys', createKeyBody({ name: `root-${randomBytes(3).toString('hex')}`, extractable: false, ...resource }));
    expect(created.status).toBe(201);
    return created.body.resources[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  describe('instance resolution and authentication', () => {
    it('answers 400 BAD_HEADER_ERR without Bluemix-Instance, 401 for an unknown instance or no token', async () => {
      const missing = await call(s.kms.url, s.admin, 'GET', '/api/v2/keys');
      expect(missing.status).toBe(400);
      expect(reason(missing)).toBe('BAD_HEADER_ERR');
      const unknown = await call(s.kms.url, s.admin, 'GET', '/api/v2/keys', undefined, { 'bluemix-instance': '00000000-0000-4000-8000-000000000000' });
      expect(unknown.status).toBe(401);
      expect(reason(unknown)).toBe('UNAUTHORIZED_ERR');
      const noToken = await kp('GET', '/keys', undefined, {}, null);
      expect(noToken.status).toBe(401);
      expect(reason(noToken)).toBe('UNAUTHORIZED_ERR');
      const badToken = await kp('GET', '/keys', undefined, {}, 'abc.def.ghi');
      expect(badToken.status).toBe(401);
      expect(reason(badToken)).toBe('UNAUTHORIZED_ERR');
      expect(badToken.body.resources[0].reasons[0].status).toBe(401);
    });

    it('refuses a caller with no policy on the instance (401, not 403)', async () => {
      const apprapp = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_APPRAPP'] as string);
      const refused = await kp('GET', '/keys', undefined, {}, apprapp);
      expect(refused.status).toBe(401);
      expect(reason(refused)).toBe('UNAUTHORIZED_ERR');
    });

    it('echoes Correlation-Id', async () => {
      const response = await kp('GET', '/keys', undefined, { 'correlation-id': 'corr-123' });
      expect(response.status).toBe(200);
      expect(response.headers.get('correlation-id')).toBe('corr-123');
    });
  });

  describe('create, list, HEAD, get, metadata', () => {
    it('creates a generated root key and returns the representation', async () => {
      const key = await createRoot({ description: 'd', Tags: ['t1', 't2'] });
      expect(key).toMatchObject({
        type: 'application/vnd.ibm.kms.key+json',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        state: 1,
        extractable: false,
        imported: false,
        description: 'd',
        tags: ['t1', 't2'],
        keyRingID: 'default',
        crn: `${instance.crn.slice(0, -1)}key:${key['id']}`,
        algorithmType: 'AES',
        keyVersion: { id: expect.any(String), creationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) },
        deleted: false,
      });
      expect(key['payload']).toBeUndefined();
    });

    it('accepts bodies with any Content-Type (Go sends none, Node vendor types)', async () => {
      const vendor = await kp('POST', '/keys', JSON.stringify(createKeyBody({ name: 'vendor-type' })), { 'content-type': 'application/vnd.ibm.kms.key+json' });
      expect(vendor.status).toBe(201);
      const none = await rawPost(`${s.kms.url}/api/v2/keys`, { authorization: `Bearer ${s.admin}`, 'bluemix-instance': instance.guid }, JSON.stringify(createKeyBody({ name: 'no-type' })));
      expect(none).toBe(201);
    });

    it('imports a plain root key and a standard key; the payload is returned only for standard keys on GET', async () => {
      const imported = await createRoot({ payload: randomBytes(16).toString('base64') });
      expect(imported).toMatchObject({ imported: true, algorithmBitSize: 128 });
      const material = randomBytes(32).toString('base64');
      const standard = await kp('POST', '/keys', createKeyBody({ name: 'std', extractable: true, payload: material }));
      expect(standard.status).toBe(201);
      const id = standard.body.resources[0].id as string;
      const got = await kp('GET', `/keys/${id}`);
      expect(got.status).toBe(200);
      expect(got.body.resources[0].payload).toBe(material);
      const meta = await kp('GET', `/keys/${id}/metadata`);
      expect(meta.body.resources[0].payload).toBeUndefined();
      const root = await kp('GET', `/keys/${imported['id']}`);
      expect(root.body.resources[0].payload).toBeUndefined();
    });

    it('lists with totals, state filter, extractable filter and paging; HEAD gives Key-Total', async () => {
      const list = await kp('GET', '/keys?totalCount=true&limit=2&offset=0');
      expect(list.status).toBe(200);
      expect(list.body.metadata).toMatchObject({ collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 2 });
      expect(list.body.metadata.totalCount).toBeGreaterThanOrEqual(4);
      const standardOnly = await kp('GET', '/keys?extractable=true');
      expect(standardOnly.body.resources.every((k: { extractable: boolean }) => k.extractable)).toBe(true);
      const head = await kp('HEAD', '/keys');
      expect(head.status).toBe(200);
      expect(Number(head.headers.get('key-total'))).toBe(list.body.metadata.totalCount);
      const byState = await kp('GET', '/keys?state=1%2C5');
      expect(byState.status).toBe(200);
      expect(reason(await kp('GET', '/keys?limit=99999'))).toBe('INVALID_QUERY_PARAM_ERR');
      expect(reason(await kp('GET', '/keys?state=9'))).toBe('INVALID_QUERY_PARAM_ERR');
    });

    it('lists with Key Protect’s sort lists, search options (Go’s trailing comma too) and filter; repeated parameters are 400, never 5xx', async () => {
      const ids: string[] = [];
      const created: Date[] = [];
      for (const name of ['lq-alpha', 'lq-beta', 'lq-gamma']) {
        s.clock.advance(SECOND);
        created.push(s.clock.now());
        ids.push((await createRoot({ name }))['id'] as string);
      }
      const [alpha, beta, gamma] = ids as [string, string, string];
      const listed = async (query: string) => {
        const response = await kp('GET', `/keys?${query}`);
        expect({ query, status: response.status }).toEqual({ query, status: 200 });
        return (response.body.resources as { id: string }[]).map((k) => k.id).filter((id) => ids.includes(id));
      };
      expect(await listed('search=lq-&sort=-creationDate')).toEqual([gamma, beta, alpha]);
      expect(await listed('search=LQ-&sort=state,-creationDate,id')).toEqual([gamma, beta, alpha]);
      expect(await listed('search=lq-&sort=imported,-lastRotateDate,deletionDate,expirationDate,extractable,lastUpdateDate,creationDate')).toEqual([alpha, beta, gamma]);
      // The Go client's GetKeySearchQuery(&"lq-beta", WithExactMatch(), AddKeyNameScope()), sent with its trailing comma.
      expect(await listed(`search=${encodeURIComponent('name:exact:lq-beta,')}`)).toEqual([beta]);
      expect(await listed(`search=${encodeURIComponent('exact:lq-bet')}`)).toEqual([]);
      expect(await listed(`search=${encodeURIComponent('not:lq-')}`)).toEqual([]);
      expect(await listed(`search=${encodeURIComponent('not:exact:lq-beta')}`)).toEqual([alpha, gamma]);
      expect(await listed(`search=${encodeURIComponent('escape:not:lq')}`)).toEqual([]);
      expect(await listed(`search=${encodeURIComponent('alias:lq-beta')}`)).toEqual([]); // no aliases before part 2
      expect(await listed(`search=${beta.slice(0, 8)}`)).toEqual([beta]);
      // The Go client's FilterQueryBuilder: ` creationDate=gte:"…"lt:"…" state=1`.
      const range = ` creationDate=gte:"${created[1]!.toISOString()}"lt:"${created[2]!.toISOString()}" state=1,2`;
      expect(await listed(`search=lq-&filter=${encodeURIComponent(range)}`)).toEqual([beta]);
      expect(await listed(`search=lq-&filter=${encodeURIComponent('expirationDate=none extractable=false')}`)).toEqual([alpha, beta, gamma]);
      expect(await listed(`search=lq-&filter=${encodeURIComponent(`creationDate="${created[0]!.toISOString()}"`)}`)).toEqual([alpha]);
      expect(await listed(`search=lq-&filter=${encodeURIComponent('state=5')}`)).toEqual([]);
      expect(await listed('search=lq-&state=1&state=5')).toEqual([alpha, beta, gamma]);
      for (const query of ['sort=id&sort=name', 'search=a&search=b', 'limit=1&limit=2', 'sort=bogus', 'sort=id,', 'filter=creationDate%3Dyesterday', 'filter=owner%3Dme', 'filter=state']) {
        const refused = await kp('GET', `/keys?${query}`);
        expect({ query, status: refused.status, code: reason(refused) }).toEqual({ query, status: 400, code: 'INVALID_QUERY_PARAM_ERR' });
      }
      const head = await kp('HEAD', '/keys?state=1&state=5&extractable=false');
      expect(head.status).toBe(200);
      expect(Number(head.headers.get('key-total'))).toBeGreaterThanOrEqual(3);
    });

    it('refuses bad create bodies with the documented 4xx codes', async () => {
      const cases: [unknown, number, string][] = [
        ['{not json', 400, 'BAD_BODY_ERR'],
        [undefined, 400, 'NO_BODY_ERR'],
        ['null', 400, 'NO_BODY_ERR'],
        [{ metadata: { collectionTotal: 2 }, resources: [{ name: 'ab' }] }, 400, 'COLLECTION_TOTAL_MISMATCH_ERR'],
        [{ metadata: { collectionTotal: 0 }, resources: [] }, 400, 'NUM_COLLECTION_RESOURCE_ERR'],
        [createKeyBody({ name: 'a' }), 400, 'INVALID_FIELD_ERR'],
        [createKeyBody({ name: 'x'.repeat(91) }), 400, 'INVALID_FIELD_ERR'],
        [createKeyBody({ name: 'ok', payload: 'not base64!' }), 400, 'INVALID_FIELD_ERR'],
        [createKeyBody({ name: 'ok', payload: randomBytes(20).toString('base64') }), 400, 'INVALID_FIELD_ERR'],
        [createKeyBody({ name: 'ok', expirationDate: 'tomorrow' }), 400, 'INVALID_FIELD_ERR'],
      ];
      for (const [body, status, code] of cases) {
        const response = await kp('POST', '/keys', body);
        expect({ body, status: response.status, code: reason(response) }).toEqual({ body, status, code });
      }
      const named = await kp('POST', '/keys', createKeyBody({ name: 'a' }));
      expect(named.body.resources[0].reasons[0].target).toEqual({ type: 'field', name: 'name' });
    });

    it('answers 404 KEY_NOT_FOUND_ERR for an unknown key', async () => {
      const response = await kp('GET', '/keys/11111111-1111-4111-8111-111111111111');
      expect(response.status).toBe(404);
      expect(reason(response)).toBe('KEY_NOT_FOUND_ERR');
    });
  });

  describe('wrap, unwrap, rewrap', () => {
    it('wraps a given DEK and a generated one, with AAD, and unwraps them', async () => {
      const key = await createRoot();
      const dek = randomBytes(32).toString('base64');
      const wrapped = await kp('POST', `/keys/${key['id']}/actions/wrap`, { plaintext: dek, aad: ['tenant-1'] });
      expect(wrapped.status).toBe(200);
      expect(wrapped.body).toEqual({ ciphertext: expect.any(String), keyVersion: { id: key['keyVersion'].id } });
      const unwrapped = await kp('POST', `/keys/${key['id']}/actions/unwrap`, { ciphertext: wrapped.body.ciphertext, aad: ['tenant-1'] });
      expect(unwrapped.status).toBe(200);
      expect(unwrapped.body).toEqual({ plaintext: dek, keyVersion: { id: key['keyVersion'].id } });

      const generated = await kp('POST', `/keys/${key['id']}/actions/wrap`, '', { 'content-length': '0' });
      expect(generated.status).toBe(200);
      expect(Buffer.from(generated.body.plaintext as string, 'base64')).toHaveLength(32);
      const back = await kp('POST', `/keys/${key['id']}?action=unwrap`, { ciphertext: generated.body.ciphertext });
      expect(back.body.plaintext).toBe(generated.body.plaintext);
    });

    it('refuses bad input with 4xx, never 5xx: base64, size, AAD, tampered or foreign ciphertext', async () => {
      const key = await createRoot();
      const other = await createRoot();
      const wrapped = (await kp('POST', `/keys/${key['id']}/actions/wrap`, { plaintext: randomBytes(32).toString('base64'), aad: ['a'] })).body;
      const tampered = Buffer.from(wrapped.ciphertext as string, 'base64');
      tampered[tampered.length - 1] ^= 1;
      const cases: [string, unknown, number, string][] = [
        ['wrap', { plaintext: '***' }, 400, 'INVALID_FIELD_ERR'],
        ['wrap', { plaintext: randomBytes(7169).toString('base64') }, 400, 'INVALID_FIELD_ERR'],
        ['wrap', { aad: ['x'.repeat(256)] }, 400, 'INVALID_FIELD_ERR'],
        ['wrap', { aad: 'not-an-array' }, 400, 'INVALID_FIELD_ERR'],
        ['wrap', '[1,2', 400, 'BAD_BODY_ERR'],
        ['unwrap', undefined, 400, 'NO_BODY_ERR'],
        ['unwrap', {}, 400, 'INVALID_FIELD_ERR'],
        ['unwrap', { ciphertext: 'garbage' }, 422, 'UNPROCESSABLE_CIPHERTEXT_ERR'],
        ['unwrap', { ciphertext: tampered.toString('base64'), aad: ['a'] }, 422, 'UNPROCESSABLE_CIPHERTEXT_ERR'],
        ['unwrap', { ciphertext: wrapped.ciphertext, aad: ['b'] }, 422, 'UNPROCESSABLE_CIPHERTEXT_ERR'],
        ['explode', {}, 400, 'INVALID_QUERY_PARAM_ERR'],
      ];
      for (const [action, body, status, code] of cases) {
        const response = await kp('POST', `/keys/${key['id']}/actions/${action}`, body);
        expect({ action, body, status: response.status, code: reason(response) }).toEqual({ action, body, status, code });
      }
      const foreign = await kp('POST', `/keys/${other['id']}/actions/unwrap`, { ciphertext: wrapped.ciphertext, aad: ['a'] });
      expect(foreign.status).toBe(422);
      expect(reason(foreign)).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
    });

    it('refuses wrap with a standard key (KEY_ROOT_REQ_ERR)', async () => {
      const standard = await kp('POST', '/keys', createKeyBody({ name: 'std-wrap', extractable: true }));
      const response = await kp('POST', `/keys/${standard.body.resources[0].id}/actions/wrap`, {});
      expect(response.status).toBe(400);
      expect(reason(response)).toBe('KEY_ROOT_REQ_ERR');
    });
  });

  describe('rotate and versions', () => {
    it('rotates once per interval; unwrap of an old ciphertext returns the rewrapped one; rewrap moves to the newest version', async () => {
      const key = await createRoot();
      const dek = randomBytes(32).toString('base64');
      const old = (await kp('POST', `/keys/${key['id']}/actions/wrap`, { plaintext: dek })).body;
      expect((await kp('POST', `/keys/${key['id']}/actions/rotate`, '', { 'content-length': '0' })).status).toBe(204);
      const again = await kp('POST', `/keys/${key['id']}/actions/rotate`, {});
      expect(again.status).toBe(409);
      expect(reason(again)).toBe('KEY_ROTATION_NOT_PERMITTED');

      const versions = await kp('GET', `/keys/${key['id']}/versions?totalCount=true`);
      expect(versions.status).toBe(200);
      expect(versions.body.metadata).toMatchObject({ collectionType: 'application/vnd.ibm.kms.key.version+json', collectionTotal: 2, totalCount: 2 });
      const [newest, first] = versions.body.resources as { id: string }[];
      expect(first!.id).toBe(key['keyVersion'].id);

      const unwrapped = await kp('POST', `/keys/${key['id']}/actions/unwrap`, { ciphertext: old.ciphertext });
      expect(unwrapped.body).toMatchObject({ plaintext: dek, keyVersion: { id: first!.id }, rewrappedKeyVersion: { id: newest!.id }, ciphertext: expect.any(String) });
      const rewrapped = await kp('POST', `/keys/${key['id']}/actions/rewrap`, { ciphertext: old.ciphertext });
      // Key Protect's rewrap: keyVersion is the given ciphertext's version, rewrappedKeyVersion the new one's.
      expect(rewrapped.body).toMatchObject({ keyVersion: { id: first!.id }, rewrappedKeyVersion: { id: newest!.id } });
      const rewrappedAgain = await kp('POST', `/keys/${key['id']}/actions/rewrap`, { ciphertext: rewrapped.body.ciphertext });
      expect(rewrappedAgain.body).toMatchObject({ keyVersion: { id: newest!.id }, rewrappedKeyVersion: { id: newest!.id } });
      expect((await kp('POST', `/keys/${key['id']}/actions/unwrap`, { ciphertext: rewrapped.body.ciphertext })).body.plaintext).toBe(dek);

      s.clock.advance(3600 * SECOND);
      expect((await kp('POST', `/keys/${key['id']}/actions/rotate`, 'null')).status).toBe(204);
    });

    it('an imported key rotates only with a payload', async () => {
      const key = await createRoot({ payload: randomBytes(32).toString('base64') });
      const without = await kp('POST', `/keys/${key['id']}/actions/rotate`, {});
      expect(without.status).toBe(400);
      expect(reason(without)).toBe('KEY_PAYLOAD_REQ_ERR');
      expect((await kp('POST', `/keys/${key['id']}/actions/rotate`, { payload: randomBytes(32).toString('base64') })).status).toBe(204);
    });

    it('an imported 128-bit key rotates to 256-bit material (as the official Node test does); old ciphertexts still unwrap', async () => {
      const key = await createRoot({ payload: randomBytes(16).toString('base64') });
      const old = (await kp('POST', `/keys/${key['id']}/actions/wrap`, {})).body;
      const badSize = await kp('POST', `/keys/${key['id']}/actions/rotate`, { payload: randomBytes(20).toString('base64') });
      expect({ status: badSize.status, code: reason(badSize) }).toEqual({ status: 400, code: 'INVALID_FIELD_ERR' });
      expect((await kp('POST', `/keys/${key['id']}/actions/rotate`, { payload: randomBytes(32).toString('base64') })).status).toBe(204);
      const meta = (await kp('GET', `/keys/${key['id']}/metadata`)).body.resources[0];
      expect(meta).toMatchObject({ algorithmBitSize: 256, algorithmMetadata: { bitLength: '256' } });
      const unwrapped = await kp('POST', `/keys/${key['id']}/actions/unwrap`, { ciphertext: old.ciphertext });
      expect(unwrapped.body).toMatchObject({ plaintext: old.plaintext, rewrappedKeyVersion: { id: meta.keyVersion.id } });
    });
  });

  describe('lifecycle', () => {
    it('disable → wrap refused → enable too early → enable after 30 s → wrap works', async () => {
      const key = await createRoot();
      const id = key['id'] as string;
      expect((await kp('POST', `/keys/${id}/actions/disable`, 'null')).status).toBe(204);
      expect((await kp('GET', `/keys/${id}/metadata`)).body.resources[0].state).toBe(2);
      const refused = await kp('POST', `/keys/${id}/actions/wrap`, {});
      expect(refused.status).toBe(409);
      expect(reason(refused)).toBe('KEY_ACTION_INVALID_STATE_ERR');
      expect(reason(await kp('POST', `/keys/${id}/actions/disable`, {}))).toBe('KEY_ACTION_INVALID_STATE_ERR');
      const early = await kp('POST', `/keys/${id}/actions/enable`, '');
      expect(early.status).toBe(409);
      expect(reason(early)).toBe('REQ_TOO_EARLY_ERR');
      s.clock.advance(30 * SECOND);
      expect((await kp('POST', `/keys/${id}/actions/enable`, '')).status).toBe(204);
      expect((await kp('POST', `/keys/${id}/actions/wrap`, {})).status).toBe(200);
      expect(reason(await kp('POST', `/keys/${id}/actions/enable`, ''))).toBe('KEY_ACTION_INVALID_STATE_ERR');
    });

    it('delete (representation) → 410 on a second delete → restore within the window → purge rules', async () => {
      const key = await createRoot();
      const id = key['id'] as string;
      const wrapped = (await kp('POST', `/keys/${id}/actions/wrap`, {})).body;
      const deleted = await kp('DELETE', `/keys/${id}`, undefined, { prefer: 'return=representation' });
      expect(deleted.status).toBe(200);
      expect(deleted.body.resources[0]).toMatchObject({ state: 5, deleted: true, deletionDate: expect.any(String), restoreAllowed: false, purgeAllowed: false });
      const twice = await kp('DELETE', `/keys/${id}`);
      expect(twice.status).toBe(410);
      expect(reason(twice)).toBe('KEY_DELETED_ERR');
      // The HSM suspended the key: it refuses to unwrap.
      expect(reason(await kp('POST', `/keys/${id}/actions/unwrap`, { ciphertext: wrapped.ciphertext }))).toBe('KEY_ACTION_INVALID_STATE_ERR');
      expect((await kp('GET', '/keys')).body.resources.some((k: { id: string }) => k.id === id)).toBe(false);
      expect((await kp('GET', '/keys?state=5')).body.resources.some((k: { id: string }) => k.id === id)).toBe(true);
      expect(reason(await kp('POST', `/keys/${id}/restore`))).toBe('REQ_TOO_EARLY_ERR');
      s.clock.advance(30 * SECOND);
      const restored = await kp('POST', `/keys/${id}/restore`, '');
      expect(restored.status).toBe(201);
      expect(restored.body.resources[0]).toMatchObject({ id, state: 1, deleted: false });
      expect((await kp('POST', `/keys/${id}/actions/unwrap`, { ciphertext: wrapped.ciphertext })).body.plaintext).toBe(wrapped.plaintext);
      expect(reason(await kp('POST', `/keys/${id}/restore`))).toBe('KEY_ACTION_INVALID_STATE_ERR');

      expect((await kp('DELETE', `/keys/${id}`, undefined, { prefer: 'return=minimal' })).status).toBe(204);
      const early = await kp('DELETE', `/keys/${id}/purge`);
      expect(early.status).toBe(409);
      expect(reason(early)).toBe('REQ_TOO_EARLY_ERR');
      s.clock.advance(4 * 3600 * SECOND);
      expect((await kp('DELETE', `/keys/${id}/purge`)).status).toBe(204);
      const gone = await kp('GET', `/keys/${id}`);
      expect(gone.status).toBe(404);
      expect(reason(gone)).toBe('KEY_NOT_FOUND_ERR');
    });

    it('restore after 30 days is KEY_RESTORE_EXPIRED; purge of an active key is refused', async () => {
      const key = await createRoot();
      const id = key['id'] as string;
      expect(reason(await kp('DELETE', `/keys/${id}/purge`))).toBe('KEY_ACTION_INVALID_STATE_ERR');
      expect((await kp('DELETE', `/keys/${id}`)).status).toBe(204);
      s.clock.advance(30 * 24 * 3600 * SECOND);
      const late = await kp('POST', `/keys/${id}/restore`);
      expect(late.status).toBe(400);
      expect(reason(late)).toBe('KEY_RESTORE_EXPIRED');
    });

    it('an expired key is deactivated (3): no wrap, unwrap still works, versions need allKeyStates', async () => {
      const expires = new Date(s.clock.now().getTime() + 60 * SECOND).toISOString();
      const key = await createRoot({ expirationDate: expires });
      const id = key['id'] as string;
      const wrapped = (await kp('POST', `/keys/${id}/actions/wrap`, {})).body;
      s.clock.advance(61 * SECOND);
      await s.kms.app.get(LifecycleScheduler).runOnce();
      expect((await kp('GET', `/keys/${id}/metadata`)).body.resources[0].state).toBe(3);
      expect(reason(await kp('POST', `/keys/${id}/actions/wrap`, {}))).toBe('KEY_ACTION_INVALID_STATE_ERR');
      expect((await kp('POST', `/keys/${id}/actions/unwrap`, { ciphertext: wrapped.ciphertext })).body.plaintext).toBe(wrapped.plaintext);
      expect(reason(await kp('GET', `/keys/${id}/versions`))).toBe('KEY_ACTION_INVALID_STATE_ERR');
      expect((await kp('GET', `/keys/${id}/versions?allKeyStates=true`)).status).toBe(200);
    });
  });

  describe('batch wrap and unwrap', () => {
    it('wraps and unwraps 1,000 DEKs in order, with per-item errors in place', async () => {
      const key = await createRoot();
      const deks = Array.from({ length: 1000 }, () => randomBytes(32).toString('base64'));
      const items: Record<string, unknown>[] = deks.map((plaintext) => ({ plaintext, aad: ['batch'] }));
      items[7] = { plaintext: 'not base64!' };
      items[8] = 'not an object' as unknown as Record<string, unknown>;
      const wrapped = await kp('POST', `/keys/${key['id']}/actions/wrap_batch`, { items });
      expect(wrapped.status).toBe(200);
      expect(wrapped.body.results).toHaveLength(1000);
      expect(wrapped.body.results[7]).toEqual({ error: { code: 'INVALID_FIELD_ERR', message: expect.any(String) } });
      expect(wrapped.body.results[8]).toEqual({ error: { code: 'BAD_BODY_ERR', message: expect.any(String) } });
      const unwrapItems = (wrapped.body.results as { ciphertext?: string }[]).map((r) => ({ ciphertext: r.ciphertext ?? 'x', aad: ['batch'] }));
      const unwrapped = await kp('POST', `/keys/${key['id']}/actions/unwrap_batch`, { items: unwrapItems });
      expect(unwrapped.status).toBe(200);
      expect(unwrapped.body.results[0].plaintext).toBe(deks[0]);
      expect(unwrapped.body.results[999].plaintext).toBe(deks[999]);
      expect(unwrapped.body.results[7].error.code).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
      expect(unwrapped.body.results[9].plaintext).toBe(deks[9]);
      const tooMany = await kp('POST', `/keys/${key['id']}/actions/wrap_batch`, { items: Array.from({ length: 1001 }, () => ({})) });
      expect(reason(tooMany)).toBe('INVALID_FIELD_ERR');
    });

    it('splits large items into HSM calls under NATS’s 1 MB, and wraps Key Protect’s largest DEK (7,168 bytes)', async () => {
      const key = await createRoot();
      // 300 DEKs of 7,168 bytes: ~2.9 MB of requests and more of replies, in one HTTP call under 4 MB.
      const deks = Array.from({ length: 300 }, () => randomBytes(7168).toString('base64'));
      const wrapped = await kp('POST', `/keys/${key['id']}/actions/wrap_batch`, { items: deks.map((plaintext) => ({ plaintext })) });
      expect(wrapped.status).toBe(200);
      const results = wrapped.body.results as { ciphertext?: string; error?: unknown }[];
      expect(results.filter((r) => r.error)).toEqual([]);
      const unwrapped = await kp('POST', `/keys/${key['id']}/actions/unwrap_batch`, { items: results.map((r) => ({ ciphertext: r.ciphertext })) });
      expect(unwrapped.status).toBe(200);
      const plaintexts = (unwrapped.body.results as { plaintext?: string; error?: unknown }[]).map((r) => r.plaintext ?? JSON.stringify(r.error));
      // Indices whose plaintext did not come back (empty when all 300 round-trip).
      expect(plaintexts.map((p, i) => (p === deks[i] ? '' : String(i))).filter(Boolean)).toEqual([]);
      const tooLarge = await kp('POST', `/keys/${key['id']}/actions/wrap`, { plaintext: randomBytes(7169).toString('base64') });
      expect(reason(tooLarge)).toBe('INVALID_FIELD_ERR');
    });
  });

  describe('audit', () => {
    it('records who did what with which outcome; no DEK or key material in any table or log line', async () => {
      const key = await createRoot();
      const dek = randomBytes(32).toString('base64');
      await kp('POST', `/keys/${key['id']}/actions/wrap`, { plaintext: dek }, { 'correlation-id': 'audit-corr-1' });
      const prisma = s.kms.app.get(KmsPrisma);
      await expectEventually(async () => {
        const rows = await prisma.auditRecord.findMany({ where: { correlationId: 'audit-corr-1' } });
        expect(rows).toEqual([expect.objectContaining({ action: 'wrap', keyId: key['id'], outcome: 'success', status: 200, instanceGuid: instance.guid })]);
      });
      // A standard key's material passes through the KMS on GET: it must not stay anywhere either.
      const material = randomBytes(32);
      const standard = await kp('POST', '/keys', createKeyBody({ name: 'leak-std', extractable: true, payload: material.toString('base64') }));
      expect((await kp('GET', `/keys/${standard.body.resources[0].id}`)).body.resources[0].payload).toBe(material.toString('base64'));
      await s.kms.app.get(AuditWriterRef).flush();
      const tables = ['instances', 'keys', 'key_versions', 'audit_records'];
      const dump = (await Promise.all(tables.map((t) => prisma.$queryRawUnsafe<unknown[]>(`SELECT * FROM ${t}`))))
        .map((rows) => JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))
        .join('\n');
      expect(dump).toContain(key['id'] as string); // the search is not blind
      const logs = s.logs.text();
      expect(logs.length).toBeGreaterThan(100);
      for (const secret of [Buffer.from(dek, 'base64'), material]) {
        for (const form of [secret.toString('base64'), secret.toString('hex'), secret.toString('base64url')]) {
          expect(dump).not.toContain(form);
          expect(logs).not.toContain(form);
        }
      }
    });

    it('NUL characters (which Postgres cannot store) are a 400, and never stop the audit trail', async () => {
      const nulName = await kp('POST', '/keys', createKeyBody({ name: 'bad\u0000name' }));
      expect({ status: nulName.status, code: reason(nulName) }).toEqual({ status: 400, code: 'INVALID_FIELD_ERR' });
      const nulTag = await kp('POST', '/keys', createKeyBody({ name: 'ok-name', tags: ['t\u0000'] }));
      expect({ status: nulTag.status, code: reason(nulTag) }).toEqual({ status: 400, code: 'INVALID_FIELD_ERR' });
      const nulSearch = await kp('GET', '/keys?search=%00');
      expect({ status: nulSearch.status, code: reason(nulSearch) }).toEqual({ status: 400, code: 'INVALID_QUERY_PARAM_ERR' });
      // A NUL in the key id and in the action lands in the audit record's columns.
      expect((await kp('GET', '/keys/%00abc/metadata', undefined, { 'correlation-id': 'audit-nul-1' })).status).toBe(404);
      expect((await kp('POST', '/keys/11111111-1111-4111-8111-111111111111/actions/wr%00ap', {}, { 'correlation-id': 'audit-nul-2' })).status).toBe(400);
      expect((await kp('GET', '/keys', undefined, { 'correlation-id': 'audit-after-nul' })).status).toBe(200);
      await s.kms.app.get(AuditWriterRef).flush();
      const rows = await s.kms.app.get(KmsPrisma).auditRecord.findMany({ where: { correlationId: { in: ['audit-nul-1', 'audit-nul-2', 'audit-after-nul'] } } });
      expect(Object.fromEntries(rows.map((row) => [row.correlationId, [row.keyId, row.action, row.errorCode]]))).toEqual({
        'audit-nul-1': ['?abc', 'metadata', 'KEY_NOT_FOUND_ERR'],
        'audit-nul-2': ['11111111-1111-4111-8111-111111111111', 'wr?ap', 'INVALID_QUERY_PARAM_ERR'],
        'audit-after-nul': [null, 'list', null],
      });
    });

    it('records the reason code of a failed call (from the mapped error), never a token or a DEK', async () => {
      const dek = randomBytes(32).toString('base64');
      const unknownKey = '22222222-2222-4222-8222-222222222222';
      expect(reason(await kp('POST', `/keys/${unknownKey}/actions/wrap`, { plaintext: dek }, { 'correlation-id': 'audit-fail-404' }))).toBe('KEY_NOT_FOUND_ERR');
      expect(reason(await kp('POST', '/keys', '{not json', { 'correlation-id': 'audit-fail-body' }))).toBe('BAD_BODY_ERR');
      expect(reason(await kp('GET', '/keys', undefined, { 'correlation-id': 'audit-fail-401' }, `${s.admin}x`))).toBe('UNAUTHORIZED_ERR');
      expect((await kp('GET', '/keys', undefined, { 'correlation-id': 'audit-ok' })).status).toBe(200);
      await s.kms.app.get(AuditWriterRef).flush();
      const prisma = s.kms.app.get(KmsPrisma);
      const rows = await prisma.auditRecord.findMany({ where: { correlationId: { in: ['audit-fail-404', 'audit-fail-body', 'audit-fail-401', 'audit-ok'] } } });
      const byCorrelation = Object.fromEntries(rows.map((row) => [row.correlationId, row]));
      expect(byCorrelation).toEqual({
        'audit-fail-404': expect.objectContaining({ action: 'wrap', keyId: unknownKey, outcome: 'failure', status: 404, errorCode: 'KEY_NOT_FOUND_ERR', instanceGuid: instance.guid }),
        'audit-fail-body': expect.objectContaining({ outcome: 'failure', status: 400, errorCode: 'BAD_BODY_ERR' }),
        'audit-fail-401': expect.objectContaining({ outcome: 'failure', status: 401, errorCode: 'UNAUTHORIZED_ERR', iamId: null }),
        'audit-ok': expect.objectContaining({ action: 'list', outcome: 'success', status: 200, errorCode: null }),
      });
      const dump = JSON.stringify(await prisma.$queryRawUnsafe<unknown[]>('SELECT * FROM audit_records'), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      expect(dump).toContain('KEY_NOT_FOUND_ERR'); // the search is not blind
      const signature = s.admin.split('.')[2] as string;
      for (const secret of [dek, Buffer.from(dek, 'base64').toString('hex'), s.admin, signature]) expect(dump).not.toContain(secret);
    });
  });
});

/** A POST with no Content-Type header at all, as the Go client sends (fetch always adds one). */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
