import { randomBytes } from 'node:crypto';
import { type IbmKeyProtectApiV2, officialSdkClient } from '../testing/official-sdk';
import { type KmsSuite, startKmsSuite } from '../testing/kms-suite';
import { type RetrievedImportToken, encryptForImport, openWrappedDek } from '../testing/secure-import';

const KEY = 'application/vnd.ibm.kms.key+json';
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

interface SdkError {
  status: number;
  body: string;
}

/**
 * The official Key Protect Node SDK 0.1.2, unmodified, for import tokens and secure import
 * (KEY-PROTECT-API.md §2, §3 "Import-token flow", §9): the token calls, then create and rotate with a
 * payload encrypted as a customer would, and a DEK the KMS wraps checked offline.
 */
describe('conformance: @ibm-cloud/ibm-key-protect 0.1.2 import tokens and secure import', () => {
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

  const createKey = async (resource: Record<string, unknown>) =>
    client.createKey({ bluemixInstance, body: body({ metadata: { collectionType: KEY, collectionTotal: 1 }, resources: [{ type: KEY, ...resource }] }) });

  const failure = async (call: Promise<unknown>): Promise<SdkError> => {
    const error = (await call.then(
      () => undefined,
      (e: unknown) => e,
    )) as SdkError | undefined;
    if (!error) throw new Error('the call was expected to fail');
    return error;
  };

  it('postImportToken answers 200 with the default expiration when the caller sends a field the API does not know (as the SDK’s own test does)', async () => {
    // The SDK's integration test passes `expirationDate`, which the SDK does not send: the body has no expiration.
    const created = await client.postImportToken({ bluemixInstance, ...({ expirationDate: 900 } as object) });
    expect(created.status).toBe(200);
    const result = created.result as { creationDate: string; expirationDate: string; maxAllowedRetrievals: number; remainingRetrievals: number };
    expect(Date.parse(result.expirationDate) - Date.parse(result.creationDate)).toBe(600_000);
    expect(result).toMatchObject({ maxAllowedRetrievals: 1, remainingRetrievals: 1 });
  });

  it('creates a token, retrieves it, imports a root key with it; a wrapped DEK opens offline; the key rotates through the token', async () => {
    const created = await client.postImportToken({ bluemixInstance, expiration: 1200, maxAllowedRetrievals: 2 });
    expect(created.status).toBe(200);
    expect(created.result).toMatchObject({ maxAllowedRetrievals: 2, remainingRetrievals: 2 });

    const got = await client.getImportToken({ bluemixInstance });
    expect(got.status).toBe(200);
    const token = got.result as RetrievedImportToken & { remainingRetrievals: number };
    expect(token.remainingRetrievals).toBe(1);
    expect(Buffer.from(token.payload, 'base64').toString('utf8')).toContain('-----BEGIN PUBLIC KEY-----');
    expect(Buffer.from(token.nonce, 'base64')).toHaveLength(12);

    const material = randomBytes(32);
    const imported = await createKey({ name: 'sdk-secure-import', extractable: false, ...encryptForImport(token, material) });
    expect(imported.status).toBe(201);
    const key = (imported.result as { resources: { id: string; imported: boolean }[] }).resources[0]!;
    expect(key.imported).toBe(true);

    const dek = randomBytes(32);
    const wrapped = await client.wrapKey({ id: key.id, bluemixInstance, keyActionWrapBody: body({ plaintext: dek.toString('base64'), aad: ['sdk'] }) });
    expect(wrapped.status).toBe(200);
    expect(openWrappedDek((wrapped.result as { ciphertext: string }).ciphertext, material, ['sdk'])).toEqual({ keyId: key.id, version: 1, dek });

    const next = randomBytes(32);
    const rotated = await client.rotateKey({ id: key.id, bluemixInstance, keyActionRotateBody: body(encryptForImport(token, next)) });
    expect(rotated.status).toBe(204);
    const versions = await client.getKeyVersions({ id: key.id, bluemixInstance });
    expect((versions.result as { metadata: { collectionTotal: number } }).metadata.collectionTotal).toBe(2);
    const after = await client.wrapKey({ id: key.id, bluemixInstance, keyActionWrapBody: body({}) });
    const result = after.result as { ciphertext: string; plaintext: string };
    expect(openWrappedDek(result.ciphertext, next).dek.toString('base64')).toBe(result.plaintext);
  });

  it('surfaces INCORRECT_NONCE_ERR (400), INCORRECT_NONCE_IV_ERR (400) and IMPORT_TOKEN_EXPIRED_ERR (409)', async () => {
    await client.postImportToken({ bluemixInstance, maxAllowedRetrievals: 1 });
    const token = (await client.getImportToken({ bluemixInstance })).result as RetrievedImportToken;
    const material = randomBytes(32);
    const wrongNonce = await failure(createKey({ name: 'sdk-bad-nonce', extractable: false, ...encryptForImport(token, material, { nonce: randomBytes(12) }) }));
    expect(wrongNonce.status).toBe(400);
    expect(String(wrongNonce.body)).toContain('INCORRECT_NONCE_ERR');
    const badIv = await failure(createKey({ name: 'sdk-bad-iv', extractable: false, ...encryptForImport(token, material), iv: randomBytes(8).toString('base64') }));
    expect(badIv.status).toBe(400);
    expect(String(badIv.body)).toContain('INCORRECT_NONCE_IV_ERR');
    const exhausted = await failure(client.getImportToken({ bluemixInstance }));
    expect(exhausted.status).toBe(409);
    expect(String(exhausted.body)).toContain('IMPORT_TOKEN_EXPIRED_ERR');
  });
});
