import { type IbmKeyProtectApiV2, officialSdkClient } from '../testing/official-sdk';
import { type KmsSuite, call, startKmsSuite } from '../testing/kms-suite';

const KEY = 'application/vnd.ibm.kms.key+json';
const body = (value: unknown) => Buffer.from(JSON.stringify(value));
type Envelope<T> = { metadata: { collectionType: string; collectionTotal: number }; resources: T[] };

/**
 * Key rings and aliases with the official Key Protect Node SDK 0.1.2, unmodified (expectations of its
 * integration test, KEY-PROTECT-API.md §9: alias 201/200/204, key ring 201/200/204). The SDK has no
 * PATCH, so moving a key is sent as the Go client sends it (no Content-Type, `KeyRingID`).
 */
describe('conformance: @ibm-cloud/ibm-key-protect 0.1.2 key rings and aliases', () => {
  let s: KmsSuite;
  let client: IbmKeyProtectApiV2;
  let bluemixInstance: string;

  beforeAll(async () => {
    s = await startKmsSuite();
    bluemixInstance = (await s.instance('kms')).guid;
    client = officialSdkClient(s);
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const createKey = async (name: string, xKmsKeyRing?: string) => {
    const response = await client.createKey({
      bluemixInstance,
      ...(xKmsKeyRing ? { xKmsKeyRing } : {}),
      body: body({ metadata: { collectionType: KEY, collectionTotal: 1 }, resources: [{ type: KEY, name, extractable: false }] }),
    });
    expect(response.status).toBe(201);
    return (response.result as Envelope<{ id: string; keyRingID: string }>).resources[0]!;
  };

  it('creates a key ring (201), lists it after `default` (200), puts keys in it, deletes it (204)', async () => {
    const created = await client.createKeyRing({ bluemixInstance, keyRingId: 'sdk-ring' });
    expect(created.status).toBe(201);
    const listed = await client.listKeyRings({ bluemixInstance });
    expect(listed.status).toBe(200);
    const rings = (listed.result as Envelope<{ id: string }>).resources;
    expect(rings[0]?.id).toBe('default');
    expect(rings[1]?.id).toBe('sdk-ring');

    const key = await createKey('sdk-in-ring', 'sdk-ring');
    expect(key.keyRingID).toBe('sdk-ring');
    const got = await client.getKey({ id: key.id, bluemixInstance, xKmsKeyRing: 'sdk-ring' });
    expect(got.status).toBe(200);
    const elsewhere = (await client.getKey({ id: key.id, bluemixInstance, xKmsKeyRing: 'default' }).catch((e: unknown) => e)) as { status: number; body: string };
    expect(elsewhere.status).toBe(404);
    expect(String(elsewhere.body)).toContain('KEY_NOT_FOUND_ERR');

    const busy = (await client.deleteKeyRing({ bluemixInstance, keyRingId: 'sdk-ring' }).catch((e: unknown) => e)) as { status: number; body: string };
    expect(busy.status).toBe(409);
    expect(String(busy.body)).toContain('KEY_RING_KEYS_NOT_DELETED_ERR');
    expect((await client.deleteKey({ id: key.id, bluemixInstance, xKmsKeyRing: 'sdk-ring' })).status).toBe(204);
    // A ring with only destroyed keys goes with force=true, which 0.1.2 cannot send: sent by hand.
    const forced = await call(s.kms.url, s.admin, 'DELETE', '/api/v2/key_rings/sdk-ring?force=true', undefined, { 'bluemix-instance': bluemixInstance });
    expect(forced.status).toBe(204);
    const after = (await client.listKeyRings({ bluemixInstance })).result as Envelope<{ id: string }>;
    expect(after.resources.map((r) => r.id)).toEqual(['default']);
  });

  it('reports an unknown ring the SDK names as 404 KEY_RING_NOT_FOUND_ERR', async () => {
    const error = (await client
      .createKey({
        bluemixInstance,
        xKmsKeyRing: 'sdk-missing',
        body: body({ metadata: { collectionType: KEY, collectionTotal: 1 }, resources: [{ type: KEY, name: 'sdk-nowhere' }] }),
      })
      .catch((e: unknown) => e)) as { status: number; body: string };
    expect(error.status).toBe(404);
    expect(String(error.body)).toContain('KEY_RING_NOT_FOUND_ERR');
  });

  it('creates an alias (201), reads the key by it (200), deletes it (204)', async () => {
    const key = await createKey('sdk-aliased');
    const created = await client.createKeyAlias({ id: key.id, alias: 'sdk-alias', bluemixInstance });
    expect(created.status).toBe(201);
    expect((created.result as unknown as Envelope<{ keyId: string; alias: string }>).resources[0]).toMatchObject({ keyId: key.id, alias: 'sdk-alias' });
    const byAlias = await client.getKey({ id: 'sdk-alias', bluemixInstance });
    expect(byAlias.status).toBe(200);
    const resource = (byAlias.result as Envelope<{ id: string; aliases: string[] }>).resources[0];
    expect(resource).toMatchObject({ id: key.id, aliases: ['sdk-alias'] });
    const wrapped = await client.wrapKey({ id: 'sdk-alias', bluemixInstance, keyActionWrapBody: body({}) });
    expect(wrapped.status).toBe(200);
    const deleted = await client.deleteKeyAlias({ id: key.id, alias: 'sdk-alias', bluemixInstance });
    expect(deleted.status).toBe(204);
    const gone = (await client.getKey({ id: 'sdk-alias', bluemixInstance }).catch((e: unknown) => e)) as { status: number };
    expect(gone.status).toBe(404);
  });

  it('surfaces alias refusals with the status and the raw envelope', async () => {
    const key = await createKey('sdk-alias-errors');
    const reserved = (await client.createKeyAlias({ id: key.id, alias: 'versions', bluemixInstance }).catch((e: unknown) => e)) as { status: number; body: string };
    expect(reserved.status).toBe(400);
    expect(String(reserved.body)).toContain('INVALID_FIELD_ERR');
    await client.createKeyAlias({ id: key.id, alias: 'sdk-taken', bluemixInstance });
    const other = await createKey('sdk-alias-other');
    const taken = (await client.createKeyAlias({ id: other.id, alias: 'sdk-taken', bluemixInstance }).catch((e: unknown) => e)) as { status: number; body: string };
    expect(taken.status).toBe(409);
    expect(String(taken.body)).toContain('KEY_ALIAS_NOT_UNIQUE_ERR');
  });

  it('moves a key between rings as the Go client does (PATCH, `KeyRingID`, no Content-Type)', async () => {
    expect((await client.createKeyRing({ bluemixInstance, keyRingId: 'go-target' })).status).toBe(201);
    const key = await createKey('go-move');
    const response = await fetch(`${s.kms.url}/api/v2/keys/${key.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${s.admin}`, 'bluemix-instance': bluemixInstance, accept: 'application/json', 'x-kms-key-ring': 'default' },
      // Bytes, so fetch adds no Content-Type either.
      body: new TextEncoder().encode(JSON.stringify({ KeyRingID: 'go-target' })),
    });
    expect(response.status).toBe(200);
    const moved = (await response.json()) as Envelope<{ keyRingID: string }>;
    expect(moved.resources[0]?.keyRingID).toBe('go-target');
    const got = await client.getKeyMetadata({ id: key.id, bluemixInstance, xKmsKeyRing: 'go-target' });
    expect((got.result as Envelope<{ keyRingID: string }>).resources[0]?.keyRingID).toBe('go-target');
  });
});

