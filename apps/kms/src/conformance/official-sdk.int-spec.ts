import { randomBytes } from 'node:crypto';
import { type IbmKeyProtectApiV2, officialSdkClient } from '../testing/official-sdk';
import { type KmsSuite, startKmsSuite } from '../testing/kms-suite';

const KEY = 'application/vnd.ibm.kms.key+json';
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

/**
 * The official Key Protect Node SDK 0.1.2, unmodified, against the KMS, authenticating through our
 * IAM with its own IamAuthenticator (expectations of its integration test, KEY-PROTECT-API.md §9).
 */
describe('conformance: @ibm-cloud/ibm-key-protect 0.1.2 against the KMS', () => {
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

  const create = async (resource: Record<string, unknown>) => {
    const response = await client.createKey({
      bluemixInstance,
      body: body({ metadata: { collectionType: KEY, collectionTotal: 1 }, resources: [{ type: KEY, ...resource }] }),
    });
    expect(response.status).toBe(201);
    return (response.result as { resources: { id: string }[] }).resources[0]!;
  };

  it('creates and imports keys, lists them, HEADs, gets and reads metadata', async () => {
    const generated = await create({ name: 'sdk-generated', extractable: false });
    const imported = await create({ name: 'sdk-imported', extractable: false, payload: randomBytes(16).toString('base64') });
    const list = await client.getKeys({ bluemixInstance, limit: 100, offset: 0, state: [1, 5] });
    expect(list.status).toBe(200);
    const ids = (list.result as { resources: { id: string }[] }).resources.map((k) => k.id);
    expect(ids).toEqual(expect.arrayContaining([generated.id, imported.id]));
    const head = await client.getKeyCollectionMetadata({ bluemixInstance });
    expect(head.status).toBe(200);
    expect(Number(head.headers['key-total'])).toBeGreaterThanOrEqual(2);
    const got = await client.getKey({ id: generated.id, bluemixInstance });
    expect(got.status).toBe(200);
    expect((got.result as { resources: { id: string; state: number }[] }).resources[0]).toMatchObject({ id: generated.id, state: 1 });
    const meta = await client.getKeyMetadata({ id: imported.id, bluemixInstance });
    expect((meta.result as { resources: { imported: boolean }[] }).resources[0]?.imported).toBe(true);
  });

  it('wraps, unwraps and rewraps', async () => {
    const key = await create({ name: 'sdk-wrap', extractable: false });
    const dek = randomBytes(32).toString('base64');
    const wrapped = await client.wrapKey({ id: key.id, bluemixInstance, keyActionWrapBody: body({ plaintext: dek, aad: ['sdk'] }) });
    expect(wrapped.status).toBe(200);
    const ciphertext = (wrapped.result as { ciphertext: string }).ciphertext;
    const unwrapped = await client.unwrapKey({ id: key.id, bluemixInstance, keyActionUnwrapBody: body({ ciphertext, aad: ['sdk'] }) });
    expect(unwrapped.status).toBe(200);
    expect((unwrapped.result as { plaintext: string }).plaintext).toBe(dek);
    const rewrapped = await client.rewrapKey({ id: key.id, bluemixInstance, keyActionRewrapBody: body({ ciphertext, aad: ['sdk'] }) });
    expect(rewrapped.status).toBe(200);
    expect((rewrapped.result as { ciphertext: string }).ciphertext).toEqual(expect.any(String));
  });

  it('rotates a generated key (no body) and an imported key (32-byte payload); each then has 2 versions', async () => {
    const generated = await create({ name: 'sdk-rotate-gen', extractable: false });
    const imported = await create({ name: 'sdk-rotate-imp', extractable: false, payload: randomBytes(32).toString('base64') });
    expect((await client.rotateKey({ id: generated.id, bluemixInstance })).status).toBe(204);
    expect((await client.rotateKey({ id: imported.id, bluemixInstance, keyActionRotateBody: body({ payload: randomBytes(32).toString('base64') }) })).status).toBe(204);
    for (const id of [generated.id, imported.id]) {
      const versions = await client.getKeyVersions({ id, bluemixInstance });
      expect(versions.status).toBe(200);
      expect((versions.result as { metadata: { collectionTotal: number } }).metadata.collectionTotal).toBe(2);
    }
  });

  it('rotates a 128-bit imported key with 256-bit material, as the SDK’s own integration test does', async () => {
    const imported = await create({ name: 'sdk-rotate-128', extractable: false, payload: randomBytes(16).toString('base64') });
    expect((await client.rotateKey({ id: imported.id, bluemixInstance, keyActionRotateBody: body({ payload: randomBytes(32).toString('base64') }) })).status).toBe(204);
    const meta = await client.getKeyMetadata({ id: imported.id, bluemixInstance });
    expect((meta.result as { resources: { algorithmBitSize: number }[] }).resources[0]?.algorithmBitSize).toBe(256);
  });

  it('disables and enables (after the 30 s window), deletes with representation and restores', async () => {
    const key = await create({ name: 'sdk-lifecycle', extractable: false });
    expect((await client.disableKey({ id: key.id, bluemixInstance })).status).toBe(204);
    s.clock.advance(30_000);
    expect((await client.enableKey({ id: key.id, bluemixInstance })).status).toBe(204);
    const deleted = await client.deleteKey({ id: key.id, bluemixInstance, prefer: 'return=representation' });
    expect(deleted.status).toBe(200);
    expect((deleted.result as { resources: { state: number }[] }).resources[0]?.state).toBe(5);
    s.clock.advance(30_000);
    const restored = await client.restoreKey({ id: key.id, bluemixInstance });
    expect(restored.status).toBe(201);
  });

  it('surfaces Key Protect errors with the status and the raw envelope', async () => {
    const error = (await client.getKey({ id: '11111111-1111-4111-8111-111111111111', bluemixInstance }).catch((e: unknown) => e)) as {
      status: number;
      body: string;
    };
    expect(error.status).toBe(404);
    expect(String(error.body)).toContain('KEY_NOT_FOUND_ERR');
  });
});
