import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { DomainError } from '@keyward/contracts';
import { rsaOaepEncrypt } from '@keyward/crypto';
import { type SuiteContext, createSuiteContext } from '@keyward/testing';
import { HsmTestClient, makeCustodians, reencryptPart } from '../testing/hsm-test-client';
import { HSM_BACKENDS, type LaunchedHsm, backendSetup } from '../testing/backend-env';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return error instanceof DomainError ? error.code : `not a DomainError: ${String(error)}`;
  }
}

const b64 = (bytes: Buffer) => bytes.toString('base64');

/** What a Key Protect client does with an import token: RSA-OAEP the key, AES-GCM the nonce under it. */
function importTokenPayload(publicKey: string, keyPairId: string, material: Buffer, nonce: Buffer, algorithm: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1') {
  const iv = randomBytes(12);
  const cipher = createCipheriv(`aes-${material.length * 8}-gcm` as 'aes-256-gcm', material, iv);
  const encryptedNonce = Buffer.concat([cipher.update(nonce), cipher.final(), cipher.getAuthTag()]);
  return {
    importToken: {
      keyPairId,
      encryptedKey: b64(rsaOaepEncrypt(publicKey, material, algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256')),
      encryptionAlgorithm: algorithm,
      encryptedNonce: b64(encryptedNonce),
      iv: b64(iv),
      nonce: b64(nonce),
    },
  };
}

describe.each(HSM_BACKENDS)('HSM key operations over NATS (%s backend)', (backend) => {
  let suite: SuiteContext;
  let hsm: LaunchedHsm;
  let client: HsmTestClient;
  let disposeBackend: () => void = () => undefined;
  let launch: (env: Record<string, string | undefined>) => Promise<LaunchedHsm>;
  const P = 'platform';

  beforeAll(async () => {
    suite = await createSuiteContext(['hsm']);
    const setup = await backendSetup(backend);
    launch = setup.launch;
    disposeBackend = setup.dispose;
    hsm = await launch(suite.envFor('hsm', setup.env));
    client = await HsmTestClient.create(suite.envFor('kms'));
  });

  afterAll(async () => {
    await client?.close();
    await hsm?.close();
    await suite?.dispose();
    disposeBackend();
  });

  it.each([128, 192, 256] as const)('generates an AES-%i root key and wraps at its size', async (bits) => {
    const key = await client.domainOp(P, 'key.generate', { kind: 'root', bits });
    expect(key).toMatchObject({ version: 1, bits });
    const wrapped = await client.domainOp(P, 'wrap', { keyId: key.keyId });
    expect(Buffer.from(wrapped.plaintext ?? '', 'base64')).toHaveLength(32);
    // header 35 + 32-byte DEK + 16-byte tag
    expect(Buffer.from(wrapped.ciphertext, 'base64')).toHaveLength(83);
    const unwrapped = await client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext });
    expect(unwrapped).toEqual({ plaintext: wrapped.plaintext, keyVersion: 1, latestVersion: 1 });
  });

  it('wraps a given DEK with AAD; a wrong AAD, another key or tampering is UNPROCESSABLE_CIPHERTEXT_ERR', async () => {
    const key = await client.domainOp(P, 'key.generate', { kind: 'root' });
    const other = await client.domainOp(P, 'key.generate', { kind: 'root' });
    const dek = b64(randomBytes(32));
    const wrapped = await client.domainOp(P, 'wrap', { keyId: key.keyId, plaintext: dek, aad: ['ab', 'c'] });
    expect(wrapped.plaintext).toBeUndefined();
    expect((await client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext, aad: ['ab', 'c'] })).plaintext).toBe(dek);
    expect(await codeOf(client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext, aad: ['a', 'bc'] }))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
    expect(await codeOf(client.domainOp(P, 'unwrap', { keyId: other.keyId, ciphertext: wrapped.ciphertext, aad: ['ab', 'c'] }))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
    const bytes = Buffer.from(wrapped.ciphertext, 'base64');
    bytes[40]! ^= 0x10;
    expect(await codeOf(client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: b64(bytes), aad: ['ab', 'c'] }))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
    const unknownVersion = Buffer.from(wrapped.ciphertext, 'base64');
    unknownVersion.writeUInt32BE(9, 19);
    expect(await codeOf(client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: b64(unknownVersion), aad: ['ab', 'c'] }))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
    expect(await codeOf(client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext.slice(0, 40) }))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
    expect(await codeOf(client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: 'A'.repeat(9700) }))).toBe('INVALID_FIELD_ERR');
    expect(await codeOf(client.domainOp(P, 'wrap', { keyId: key.keyId, plaintext: b64(randomBytes(7169)) }))).toBe('INVALID_FIELD_ERR');
    // The largest plaintext round-trips (its ciphertext is the largest the contract accepts).
    const largest = b64(randomBytes(7168));
    const largestWrapped = await client.domainOp(P, 'wrap', { keyId: key.keyId, plaintext: largest });
    expect((await client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: largestWrapped.ciphertext })).plaintext).toBe(largest);
    expect(await codeOf(client.domainOp(P, 'wrap', { keyId: key.keyId, plaintext: 'not base64!' }))).toBe('INVALID_FIELD_ERR');
    expect(await codeOf(client.domainOp(P, 'wrap', { keyId: 'not-a-uuid' }))).toBe('INVALID_FIELD_ERR');
    expect(await codeOf(client.domainOp(P, 'wrap', { keyId: randomUUID() }))).toBe('KEY_OBJECT_NOT_FOUND_ERR');
    expect(await codeOf(client.domainOp(P, 'key.generate', { kind: 'root', bits: 512 }))).toBe('BAD_BODY_ERR');
  });

  it('rotates: old versions still unwrap, and unwrap says so and returns the rewrapped ciphertext', async () => {
    const key = await client.domainOp(P, 'key.generate', { kind: 'root' });
    const v1 = await client.domainOp(P, 'wrap', { keyId: key.keyId, aad: ['x'] });
    expect(await client.domainOp(P, 'key.rotate', { keyId: key.keyId })).toMatchObject({ keyId: key.keyId, version: 2 });
    const unwrapped = await client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: v1.ciphertext, aad: ['x'] });
    expect(unwrapped).toMatchObject({ plaintext: v1.plaintext, keyVersion: 1, latestVersion: 2, rewrapped: { keyVersion: 2 } });
    const again = await client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: unwrapped.rewrapped?.ciphertext, aad: ['x'] });
    expect(again).toEqual({ plaintext: v1.plaintext, keyVersion: 2, latestVersion: 2 });
    const rewrapped = await client.domainOp(P, 'rewrap', { keyId: key.keyId, ciphertext: v1.ciphertext, aad: ['x'] });
    expect(rewrapped).toMatchObject({ keyVersion: 2, unwrappedVersion: 1 });
    expect((await client.domainOp(P, 'wrap', { keyId: key.keyId })).keyVersion).toBe(2);
    // A generated key rotates without material.
    expect(await codeOf(client.domainOp(P, 'key.rotate', { keyId: key.keyId, payload: { material: b64(randomBytes(32)) } }))).toBe('INVALID_FIELD_ERR');
  });

  it('suspends (wrap refused) and reactivates; destroy crypto-shreds every version', async () => {
    const key = await client.domainOp(P, 'key.generate', { kind: 'root' });
    const wrapped = await client.domainOp(P, 'wrap', { keyId: key.keyId });
    await client.domainOp(P, 'key.rotate', { keyId: key.keyId });
    expect(await client.domainOp(P, 'key.set-state', { keyId: key.keyId, state: 'suspended' })).toEqual({ keyId: key.keyId, state: 'suspended' });
    expect(await codeOf(client.domainOp(P, 'wrap', { keyId: key.keyId }))).toBe('KEY_OBJECT_SUSPENDED_ERR');
    expect(await codeOf(client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext }))).toBe('KEY_OBJECT_SUSPENDED_ERR');
    await client.domainOp(P, 'key.set-state', { keyId: key.keyId, state: 'active' });
    expect((await client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext })).plaintext).toBe(wrapped.plaintext);

    expect(await client.domainOp(P, 'key.destroy', { keyId: key.keyId })).toEqual({ keyId: key.keyId, state: 'destroyed' });
    expect(await codeOf(client.domainOp(P, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext }))).toBe('KEY_OBJECT_DESTROYED_ERR');
    expect(await codeOf(client.domainOp(P, 'key.set-state', { keyId: key.keyId, state: 'active' }))).toBe('KEY_OBJECT_DESTROYED_ERR');
    const blobs = await hsmRows<{ blob: Buffer | null }>(`SELECT blob FROM key_versions WHERE key_id = '${key.keyId}'`);
    expect(blobs).toHaveLength(2);
    expect(blobs.every((row) => row.blob === null)).toBe(true);
  });

  it('imports plain material; a copy of the key decrypts a wrapped DEK offline from the format description', async () => {
    const material = randomBytes(32);
    const key = await client.domainOp(P, 'key.import', { kind: 'root', payload: { material: b64(material) } });
    const wrapped = await client.domainOp(P, 'wrap', { keyId: key.keyId, aad: ['tenant-1', 'table-2'] });
    const bytes = Buffer.from(wrapped.ciphertext, 'base64');
    const aad = Buffer.concat([bytes.subarray(0, 35), ...['tenant-1', 'table-2'].flatMap((entry) => [Buffer.from([0, 0, 0, entry.length]), Buffer.from(entry)])]);
    const decipher = createDecipheriv('aes-256-gcm', material, bytes.subarray(23, 35));
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const dek = Buffer.concat([decipher.update(bytes.subarray(35, bytes.length - 16)), decipher.final()]);
    expect(b64(dek)).toBe(wrapped.plaintext);
    // An imported key rotates only with new material.
    expect(await codeOf(client.domainOp(P, 'key.rotate', { keyId: key.keyId }))).toBe('KEY_PAYLOAD_REQ_ERR');
    // New material may have another valid size: the version records it.
    expect(await client.domainOp(P, 'key.rotate', { keyId: key.keyId, payload: { material: b64(randomBytes(16)) } })).toMatchObject({ version: 2, bits: 128 });
    expect(await codeOf(client.domainOp(P, 'key.import', { kind: 'root', payload: { material: b64(randomBytes(20)) } }))).toBe('INVALID_FIELD_ERR');
  });

  it('imports through an import token (RSA-OAEP-SHA256), checking the encrypted nonce', async () => {
    const pair = await client.domainOp(P, 'import-keypair.create', {});
    const material = randomBytes(32);
    const nonce = randomBytes(12);
    const key = await client.domainOp(P, 'key.import', { kind: 'root', payload: importTokenPayload(pair.publicKey, pair.keyPairId, material, nonce, 'RSAES_OAEP_SHA_256') });
    const wrapped = await client.domainOp(P, 'wrap', { keyId: key.keyId, plaintext: b64(Buffer.alloc(32, 1)) });
    expect(wrapped.keyVersion).toBe(1);

    const wrongNonce = importTokenPayload(pair.publicKey, pair.keyPairId, material, nonce, 'RSAES_OAEP_SHA_256');
    wrongNonce.importToken.nonce = b64(randomBytes(12));
    expect(await codeOf(client.domainOp(P, 'key.import', { kind: 'root', payload: wrongNonce }))).toBe('INCORRECT_NONCE_ERR');
    // SHA-1 is for hs-crypto domains only.
    expect(await codeOf(client.domainOp(P, 'key.import', { kind: 'root', payload: importTokenPayload(pair.publicKey, pair.keyPairId, material, nonce, 'RSAES_OAEP_SHA_1') }))).toBe('INVALID_FIELD_ERR');
    const garbage = importTokenPayload(pair.publicKey, pair.keyPairId, material, nonce, 'RSAES_OAEP_SHA_256');
    garbage.importToken.encryptedKey = b64(randomBytes(512));
    expect(await codeOf(client.domainOp(P, 'key.import', { kind: 'root', payload: garbage }))).toBe('IMPORT_PAYLOAD_INVALID_ERR');
    expect(await codeOf(client.domainOp(P, 'key.import', { kind: 'root', payload: importTokenPayload(pair.publicKey, randomUUID(), material, nonce, 'RSAES_OAEP_SHA_256') }))).toBe('IMPORT_KEYPAIR_NOT_FOUND_ERR');
  }, 90_000);

  it('accepts RSAES_OAEP_SHA_1 import tokens in an hs-crypto domain', async () => {
    const domainId = randomUUID();
    await client.domains('create', { domainId });
    const [custodian] = makeCustodians(1);
    const ceremony = await client.domains('ceremony-init', { domainId, threshold: 1, custodians: [{ name: 'solo', publicKey: custodian!.keyPair.publicKeyPem }] });
    const part = reencryptPart(custodian!, ceremony.parts[0]!.encryptedPart, ceremony.ceremonyPublicKey);
    await client.broadcast('unseal', { domainId, encryptedPart: part.forHsm });
    const pair = await client.domainOp(domainId, 'import-keypair.create', {});
    const key = await client.domainOp(domainId, 'key.import', { kind: 'root', payload: importTokenPayload(pair.publicKey, pair.keyPairId, randomBytes(24), randomBytes(12), 'RSAES_OAEP_SHA_1') });
    expect(key.bits).toBe(192);
  }, 120_000);

  it('exports standard keys only', async () => {
    const standard = await client.domainOp(P, 'key.import', { kind: 'standard', payload: { material: b64(Buffer.from('a standard secret')) } });
    expect(Buffer.from((await client.domainOp(P, 'key.export', { keyId: standard.keyId })).material, 'base64').toString()).toBe('a standard secret');
    expect(await codeOf(client.domainOp(P, 'wrap', { keyId: standard.keyId }))).toBe('KEY_ROOT_REQ_ERR');
    const root = await client.domainOp(P, 'key.generate', { kind: 'root' });
    expect(await codeOf(client.domainOp(P, 'key.export', { keyId: root.keyId }))).toBe('KEY_OBJECT_NOT_EXPORTABLE_ERR');
  });

  it('batches wrap and unwrap: each item has its own result or error, up to 1,000 items', async () => {
    const key = await client.domainOp(P, 'key.generate', { kind: 'root' });
    const items = Array.from({ length: 1000 }, (_, i) => (i === 3 ? { keyId: randomUUID() } : i === 4 ? { keyId: 'bad' } : { keyId: key.keyId, aad: [`row-${i}`] }));
    const wrapped = await client.domainOp(P, 'wrap.batch', { items });
    expect(wrapped.results).toHaveLength(1000);
    expect(wrapped.results[3]).toMatchObject({ ok: false, error: { code: 'KEY_OBJECT_NOT_FOUND_ERR' } });
    expect(wrapped.results[4]).toMatchObject({ ok: false, error: { code: 'INVALID_FIELD_ERR' } });
    const unwrapItems = wrapped.results.map((result, i) => (result.ok ? { keyId: key.keyId, ciphertext: result.result.ciphertext, aad: [`row-${i === 7 ? 'x' : i}`] } : { keyId: key.keyId, ciphertext: 'S1c=' }));
    const unwrapped = await client.domainOp(P, 'unwrap.batch', { items: unwrapItems });
    unwrapped.results.forEach((result, i) => {
      if (i === 3 || i === 4 || i === 7) expect(result).toMatchObject({ ok: false, error: { code: 'UNPROCESSABLE_CIPHERTEXT_ERR' } });
      else expect(result).toEqual({ ok: true, result: { plaintext: (wrapped.results[i] as { result: { plaintext: string } }).result.plaintext, keyVersion: 1, latestVersion: 1 } });
    });
    expect(await codeOf(client.domainOp(P, 'wrap.batch', { items: Array.from({ length: 1001 }, () => ({ keyId: key.keyId })) }))).toBe('BAD_BODY_ERR');
    expect(await codeOf(client.domainOp(P, 'wrap.batch', { items: [] }))).toBe('BAD_BODY_ERR');
    // Wrapping 4 KiB DEKs: the largest request under NATS's 1 MiB limit gets a reply just over it,
    // which could never be delivered: the caller gets a clear error instead of a timeout.
    const dek4k = b64(randomBytes(4096));
    const itemRequest = JSON.stringify({ keyId: key.keyId, plaintext: dek4k }).length + 1;
    const itemReply = JSON.stringify({ ok: true, result: { ciphertext: 'x'.repeat(5532), keyVersion: 1 } }).length + 1;
    const count = Math.floor((1024 * 1024 - 300) / itemRequest);
    expect(count * itemReply).toBeGreaterThan(1024 * 1024);
    const tooBig = Array.from({ length: count }, () => ({ keyId: key.keyId, plaintext: dek4k }));
    expect(await codeOf(client.domainOp(P, 'wrap.batch', { items: tooBig }))).toBe('PAYLOAD_TOO_LARGE_ERR');
  });

  async function hsmRows<T>(sql: string): Promise<T[]> {
    const { Client } = await import('pg');
    const pg = new Client({ connectionString: suite.databases.hsm?.url });
    await pg.connect();
    try {
      return (await pg.query(sql)).rows as T[];
    } finally {
      await pg.end();
    }
  }
});
