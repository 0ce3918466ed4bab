import { randomBytes } from 'node:crypto';
import { KmsPrisma } from '../database/kms-prisma.service';
import { type KmsSuite, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';

const ALIAS_TYPE = 'application/vnd.ibm.kms.key_alias+json';
const RESERVED = ['allowed_ip', 'key', 'keys', 'metadata', 'policy', 'policies', 'registration', 'registrations', 'ring', 'rings', 'rotate', 'wrap', 'unwrap', 'rewrap', 'version', 'versions'];

// Key aliases (KEY-PROTECT-API.md §2) through the real HSM and IAM, over real NATS and Postgres.
describe('KMS key aliases', () => {
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
  const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
  const createKey = async (resource: Record<string, unknown> = {}, guid = instance.guid) => {
    const created = await kp('POST', '/keys', createKeyBody({ name: unique('key'), extractable: false, ...resource }), {}, guid);
    expect(created.status).toBe(201);
    return created.body.resources[0] as { id: string; aliases: string[] };
  };
  const addAlias = (keyRef: string, alias: string, guid = instance.guid) => kp('POST', `/keys/${keyRef}/aliases/${alias}`, undefined, {}, guid);
  const aliasesOf = async (id: string) => (await kp('GET', `/keys/${id}/metadata`)).body.resources[0].aliases as string[];
  const db = () => s.kms.app.get(KmsPrisma);

  it('creates an alias (201 with the alias resource), shows it in the key, and deletes it (204, no body)', async () => {
    const key = await createKey();
    expect(key.aliases).toEqual([]);
    const alias = unique('billing');
    const created = await addAlias(key.id, alias);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      metadata: { collectionType: ALIAS_TYPE, collectionTotal: 1 },
      resources: [{ keyId: key.id, alias, creationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), createdBy: expect.any(String) }],
    });
    expect(await aliasesOf(key.id)).toEqual([alias]);
    const listed = await kp('GET', '/keys?limit=5000');
    expect((listed.body.resources as { id: string; aliases: string[] }[]).find((k) => k.id === key.id)?.aliases).toEqual([alias]);
    const deleted = await kp('DELETE', `/keys/${key.id}/aliases/${alias}`);
    expect({ status: deleted.status, text: deleted.text }).toEqual({ status: 204, text: '' });
    expect(await aliasesOf(key.id)).toEqual([]);
    const again = await kp('DELETE', `/keys/${key.id}/aliases/${alias}`);
    expect({ status: again.status, code: reason(again) }).toEqual({ status: 404, code: 'KEY_ALIAS_NOT_FOUND_ERR' });
  });

  it('resolves an alias wherever a key id is accepted', async () => {
    const key = await createKey();
    const alias = unique('anywhere');
    expect((await addAlias(key.id, alias)).status).toBe(201);
    expect((await kp('GET', `/keys/${alias}`)).body.resources[0].id).toBe(key.id);
    expect((await kp('GET', `/keys/${alias}/metadata`)).body.resources[0].id).toBe(key.id);
    expect((await kp('GET', `/keys/${alias}/versions`)).status).toBe(200);
    const dek = randomBytes(32).toString('base64');
    const wrapped = await kp('POST', `/keys/${alias}/actions/wrap`, { plaintext: dek });
    expect(wrapped.status).toBe(200);
    const unwrapped = await kp('POST', `/keys/${key.id}/actions/unwrap`, { ciphertext: wrapped.body.ciphertext });
    expect(unwrapped.body.plaintext).toBe(dek);
    expect((await kp('POST', `/keys/${alias}?action=rewrap`, { ciphertext: wrapped.body.ciphertext })).status).toBe(200);
    expect((await kp('POST', `/keys/${alias}/actions/rotate`)).status).toBe(204);
    expect((await kp('POST', `/keys/${alias}/actions/disable`)).status).toBe(204);
    // An alias names a second alias, a ring move and a delete too.
    const second = unique('second');
    expect((await addAlias(alias, second)).body.resources[0].keyId).toBe(key.id);
    expect((await kp('PATCH', `/keys/${second}`, { keyRingID: 'default' })).body.resources[0].id).toBe(key.id);
    const deleted = await kp('DELETE', `/keys/${second}`, undefined, { prefer: 'return=representation' });
    expect(deleted.body.resources[0]).toMatchObject({ id: key.id, state: 5, aliases: [alias, second] });
    // Alias lookups are exact: another case is another name.
    expect(reason(await kp('GET', `/keys/${alias.toUpperCase()}`))).toBe('KEY_NOT_FOUND_ERR');
  });

  it('creates a key with `aliases`, and refuses invalid or taken ones there without creating the key', async () => {
    const aliases = [unique('c1'), unique('c2')];
    const key = await createKey({ aliases });
    expect(key.aliases).toEqual(aliases);
    expect((await kp('GET', `/keys/${aliases[1]}`)).body.resources[0].id).toBe(key.id);
    const before = await db().key.count({ where: { instanceGuid: instance.guid } });
    const cases: [unknown, number, string][] = [
      ['not-an-array', 400, 'INVALID_FIELD_ERR'],
      [['ok-alias', 5], 400, 'INVALID_FIELD_ERR'],
      [['wrap'], 400, 'INVALID_FIELD_ERR'],
      [['dup-a', 'dup-a'], 400, 'INVALID_FIELD_ERR'],
      [['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 409, 'KEY_ALIAS_QUOTA_ERR'],
      [[aliases[0]], 409, 'KEY_ALIAS_NOT_UNIQUE_ERR'],
    ];
    for (const [value, status, code] of cases) {
      const refused = await kp('POST', '/keys', createKeyBody({ name: 'with-aliases', aliases: value }));
      expect({ value, status: refused.status, code: reason(refused) }).toEqual({ value, status, code });
    }
    expect(await db().key.count({ where: { instanceGuid: instance.guid } })).toBe(before);
  });

  it('refuses names outside the rules with 400 INVALID_FIELD_ERR naming the field', async () => {
    const key = await createKey();
    const bad = ['a', 'x'.repeat(91), 'x'.repeat(100), 'has.dot', 'sp%20ace', '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b', ...RESERVED, 'Wrap', 'METADATA'];
    for (const alias of bad) {
      const refused = await addAlias(key.id, alias);
      expect({ alias, status: refused.status, code: reason(refused), target: refused.body?.resources?.[0]?.reasons?.[0]?.target?.name }).toEqual({
        alias,
        status: 400,
        code: 'INVALID_FIELD_ERR',
        target: 'alias',
      });
    }
    expect(await db().keyAlias.count({ where: { keyId: key.id } })).toBe(0);
    for (const ok of ['ab', 'x'.repeat(90), 'Under_score-and-dash-09']) expect((await addAlias(key.id, ok)).status).toBe(201);
  });

  it('keeps aliases unique in an instance (409 KEY_ALIAS_NOT_UNIQUE_ERR) but not across instances', async () => {
    const first = await createKey();
    const second = await createKey();
    const alias = unique('shared');
    expect((await addAlias(first.id, alias)).status).toBe(201);
    for (const target of [first.id, second.id]) {
      const taken = await addAlias(target, alias);
      expect({ status: taken.status, code: reason(taken) }).toEqual({ status: 409, code: 'KEY_ALIAS_NOT_UNIQUE_ERR' });
    }
    const other = (await s.instance('kms')).guid;
    const elsewhere = await createKey({}, other);
    expect((await addAlias(elsewhere.id, alias, other)).status).toBe(201);
    expect((await kp('GET', `/keys/${alias}`, undefined, {}, other)).body.resources[0].id).toBe(elsewhere.id);
    expect((await kp('GET', `/keys/${alias}`)).body.resources[0].id).toBe(first.id);
  });

  it('allows at most 5 aliases per key (409 KEY_ALIAS_QUOTA_ERR), also under concurrent requests', async () => {
    const key = await createKey();
    const attempts = await Promise.all(Array.from({ length: 8 }, (_, i) => addAlias(key.id, `${key.id.slice(0, 8)}-q${i}`)));
    expect(attempts.filter((a) => a.status === 201)).toHaveLength(5);
    expect(attempts.filter((a) => a.status !== 201).map((a) => `${a.status} ${reason(a)}`)).toEqual(Array.from({ length: 3 }, () => '409 KEY_ALIAS_QUOTA_ERR'));
    expect(await aliasesOf(key.id)).toHaveLength(5);
  });

  it('allows at most 1,000 aliases per instance (409 KEY_ALIAS_QUOTA_ERR)', async () => {
    const guid = (await s.instance('kms')).guid;
    // Setup, not a load test: 200 keys in waves of 20 (200 creations at once exhaust the KMS's database
    // pool under a loaded CI machine; see the closing note of this stop).
    const keys: { id: string; aliases: string[] }[] = [];
    for (let wave = 0; wave < 10; wave++) keys.push(...(await Promise.all(Array.from({ length: 20 }, () => createKey({}, guid)))));
    // 199 keys × 5 aliases straight into the table, then the API adds the last 5 and is refused the 1,001st.
    await db().keyAlias.createMany({
      data: keys.slice(0, 199).flatMap((k, i) => Array.from({ length: 5 }, (_, j) => ({ instanceGuid: guid, alias: `bulk-${i}-${j}`, keyId: k.id, creationDate: new Date(), createdBy: 'test' }))),
    });
    const last = keys[199] as { id: string };
    for (let j = 0; j < 5; j++) expect((await addAlias(last.id, `last-${j}`, guid)).status).toBe(201);
    const extra = await createKey({}, guid);
    const refused = await addAlias(extra.id, 'one-too-many', guid);
    expect({ status: refused.status, code: reason(refused) }).toEqual({ status: 409, code: 'KEY_ALIAS_QUOTA_ERR' });
    const viaCreate = await kp('POST', '/keys', createKeyBody({ name: 'over', aliases: ['over-quota'] }), {}, guid);
    expect({ status: viaCreate.status, code: reason(viaCreate) }).toEqual({ status: 409, code: 'KEY_ALIAS_QUOTA_ERR' });
    expect(await db().keyAlias.count({ where: { instanceGuid: guid } })).toBe(1000);
  }, 120_000);

  it('answers 404 for an unknown key or alias, and 401 to a caller with no policy (nothing written)', async () => {
    const unknownId = await addAlias('11111111-1111-4111-8111-111111111111', unique('orphan'));
    expect({ status: unknownId.status, code: reason(unknownId) }).toEqual({ status: 404, code: 'KEY_NOT_FOUND_ERR' });
    const unknownAlias = await addAlias('no-such-alias', unique('orphan'));
    expect({ status: unknownAlias.status, code: reason(unknownAlias) }).toEqual({ status: 404, code: 'KEY_NOT_FOUND_ERR' });
    const key = await createKey();
    const stranger = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_APPRAPP'] as string);
    for (const method of ['POST', 'DELETE']) {
      const refused = await call(s.kms.url, stranger, method, `/api/v2/keys/${key.id}/aliases/from-stranger`, undefined, { 'bluemix-instance': instance.guid });
      expect({ method, status: refused.status, code: reason(refused) }).toEqual({ method, status: 401, code: 'UNAUTHORIZED_ERR' });
    }
    expect(await aliasesOf(key.id)).toEqual([]);
  });

  it('drops a key’s aliases when the key is purged, freeing the names', async () => {
    const key = await createKey();
    const alias = unique('purged');
    expect((await addAlias(key.id, alias)).status).toBe(201);
    expect((await kp('DELETE', `/keys/${alias}`)).status).toBe(204);
    s.clock.advance(4 * 3600_000);
    expect((await kp('DELETE', `/keys/${key.id}/purge`)).status).toBe(204);
    expect(reason(await kp('GET', `/keys/${alias}`))).toBe('KEY_NOT_FOUND_ERR');
    const reuse = await createKey({ aliases: [alias] });
    expect((await kp('GET', `/keys/${alias}`)).body.resources[0].id).toBe(reuse.id);
  });
});
