import { constants, createCipheriv, createDecipheriv, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { AuditWriter } from '../audit/audit.writer';
import { KmsPrisma } from '../database/kms-prisma.service';
import { type CallResult, type KmsSuite, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';
import { type RetrievedImportToken, encryptForImport, encryptKeyForImport, openWrappedDek } from '../testing/secure-import';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

// Import tokens and secure import (BYOK) through the real HSM and IAM, over real NATS and Postgres.
describe('KMS import tokens and secure import (Key Protect v2)', () => {
  let s: KmsSuite;
  let instance: { guid: string; crn: string };
  /** Every key material this suite sent: the leak test at the end looks for each of them. */
  const secrets: Record<string, Buffer> = {};

  beforeAll(async () => {
    s = await startKmsSuite();
    instance = await s.instance('kms');
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const kp = (method: string, path: string, body?: unknown, options: { guid?: string; token?: string | null } = {}) =>
    call(s.kms.url, options.token === null ? undefined : (options.token ?? s.admin), method, `/api/v2${path}`, body, { 'bluemix-instance': options.guid ?? instance.guid });

  const expectError = (result: CallResult, status: number, code: string, field?: string) => {
    expect({ status: result.status, code: reason(result) }).toEqual({ status, code });
    expect(result.body.resources[0].reasons[0].status).toBe(status);
    if (field) expect(result.body.resources[0].reasons[0].target).toMatchObject({ name: field });
  };

  const newToken = async (body: unknown = {}, guid?: string) => {
    const created = await kp('POST', '/import_token', body, { ...(guid ? { guid } : {}) });
    expect(created.status).toBe(200);
    return created.body as { creationDate: string; expirationDate: string; maxAllowedRetrievals: number; remainingRetrievals: number };
  };

  const retrieve = async (guid?: string) => {
    const got = await kp('GET', '/import_token', undefined, { ...(guid ? { guid } : {}) });
    expect(got.status).toBe(200);
    return got.body as RetrievedImportToken & { remainingRetrievals: number; maxAllowedRetrievals: number };
  };

  const material = (name: string, bytes = 32) => {
    const value = randomBytes(bytes);
    secrets[name] = value;
    return value;
  };

  const keyCount = async () => (await kp('GET', '/keys?totalCount=true&limit=1')).body.metadata.totalCount as number;

  const secureCreate = (fields: Record<string, unknown>, name = `secure-${randomBytes(3).toString('hex')}`, guid?: string) =>
    kp('POST', '/keys', createKeyBody({ name, extractable: false, ...fields }), { ...(guid ? { guid } : {}) });

  describe('POST and GET /import_token', () => {
    it('answers 404 IMPORT_TOKEN_NOT_FOUND_ERR before any token exists, and a secure import too', async () => {
      expectError(await kp('GET', '/import_token'), 404, 'IMPORT_TOKEN_NOT_FOUND_ERR');
      const stranger = { payload: anyPublicKeyB64(), nonce: randomBytes(12).toString('base64') };
      expectError(await secureCreate(encryptForImport(stranger, randomBytes(32))), 404, 'IMPORT_TOKEN_NOT_FOUND_ERR');
    });

    it('creates a token with the defaults (600 s, 1 retrieval): no body, {}, null, or an unknown field (the Node SDK test sends expirationDate)', async () => {
      for (const body of [undefined, {}, 'null', { expirationDate: '2030-01-01T00:00:00Z' }, { expiration: null }]) {
        const created = await kp('POST', '/import_token', body);
        expect(created.status).toBe(200);
        expect(created.body).toEqual({
          creationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          expirationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          maxAllowedRetrievals: 1,
          remainingRetrievals: 1,
        });
        expect(Date.parse(created.body.expirationDate) - Date.parse(created.body.creationDate)).toBe(600 * SECOND);
      }
    }, 120_000);

    it('takes expiration 300–86,400 s and maxAllowedRetrievals 1–500; anything else is 400 INVALID_FIELD_ERR naming the field', async () => {
      const low = await newToken({ expiration: 300, maxAllowedRetrievals: 500 });
      expect(Date.parse(low.expirationDate) - Date.parse(low.creationDate)).toBe(300 * SECOND);
      expect(low).toMatchObject({ maxAllowedRetrievals: 500, remainingRetrievals: 500 });
      const high = await newToken({ expiration: 86_400, maxAllowedRetrievals: 1 });
      expect(Date.parse(high.expirationDate) - Date.parse(high.creationDate)).toBe(86_400 * SECOND);
      for (const [body, field] of [
        [{ expiration: 299 }, 'expiration'],
        [{ expiration: 86_401 }, 'expiration'],
        [{ expiration: '600' }, 'expiration'],
        [{ expiration: 600.5 }, 'expiration'],
        [{ expiration: 0 }, 'expiration'],
        [{ maxAllowedRetrievals: 0 }, 'maxAllowedRetrievals'],
        [{ maxAllowedRetrievals: 501 }, 'maxAllowedRetrievals'],
        [{ maxAllowedRetrievals: true }, 'maxAllowedRetrievals'],
      ] as const) {
        expectError(await kp('POST', '/import_token', body), 400, 'INVALID_FIELD_ERR', field);
      }
      expectError(await kp('POST', '/import_token', '[1]'), 400, 'BAD_BODY_ERR');
      expectError(await kp('POST', '/import_token', '{not json'), 400, 'BAD_BODY_ERR');
    }, 120_000);

    it('GET returns the public key (base64 of a PEM RSA-4096 key) and the nonce (12 bytes), using one retrieval each time', async () => {
      await newToken({ maxAllowedRetrievals: 2 });
      const first = await retrieve();
      expect(first).toMatchObject({ maxAllowedRetrievals: 2, remainingRetrievals: 1 });
      const pem = Buffer.from(first.payload, 'base64').toString('utf8');
      expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n?$/);
      expect(Buffer.from(first.nonce, 'base64')).toHaveLength(12);
      const second = await retrieve();
      expect(second).toMatchObject({ remainingRetrievals: 0, payload: first.payload, nonce: first.nonce });
      expectError(await kp('GET', '/import_token'), 409, 'IMPORT_TOKEN_EXPIRED_ERR');
    });

    it('a token expires with time: GET and imports are 409 IMPORT_TOKEN_EXPIRED_ERR', async () => {
      await newToken({ expiration: 300, maxAllowedRetrievals: 5 });
      const token = await retrieve();
      s.clock.advance(300 * SECOND);
      expectError(await kp('GET', '/import_token'), 409, 'IMPORT_TOKEN_EXPIRED_ERR');
      expectError(await secureCreate(encryptForImport(token, material('expired-token import'))), 409, 'IMPORT_TOKEN_EXPIRED_ERR');
    });

    it('a new POST replaces the token: new key pair, new nonce; material encrypted for the old one is refused', async () => {
      await newToken({ maxAllowedRetrievals: 3 });
      const old = await retrieve();
      await newToken({ maxAllowedRetrievals: 3 });
      const current = await retrieve();
      expect(current.payload).not.toBe(old.payload);
      expect(current.nonce).not.toBe(old.nonce);
      expectError(await secureCreate(encryptForImport(old, material('old-token import'))), 400, 'IMPORT_PAYLOAD_INVALID_ERR');
    });

    it('needs importtoken.create / importtoken.read (Writer): others get 401', async () => {
      const apprapp = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_APPRAPP'] as string);
      expectError(await kp('POST', '/import_token', {}, { token: apprapp }), 401, 'UNAUTHORIZED_ERR');
      expectError(await kp('GET', '/import_token', undefined, { token: apprapp }), 401, 'UNAUTHORIZED_ERR');
      expectError(await kp('GET', '/import_token', undefined, { token: null }), 401, 'UNAUTHORIZED_ERR');
      expectError(await call(s.kms.url, s.admin, 'GET', '/api/v2/import_token'), 400, 'BAD_HEADER_ERR');
    });
  });

  describe('create with an import token', () => {
    it('imports a root key; a DEK the KMS wraps decrypts offline under the customer’s copy (node:crypto only)', async () => {
      await newToken({ maxAllowedRetrievals: 1 });
      const token = await retrieve();
      const key = material('secure root key');
      const created = await secureCreate(encryptForImport(token, key));
      expect(created.status).toBe(201);
      const resource = created.body.resources[0];
      expect(resource).toMatchObject({ imported: true, extractable: false, algorithmBitSize: 256, state: 1 });
      expect(resource.payload).toBeUndefined();

      const dek = material('dek under secure key');
      const aad = ['tenant-7', 'ünïcode'];
      const wrapped = await kp('POST', `/keys/${resource.id}/actions/wrap`, { plaintext: dek.toString('base64'), aad });
      expect(wrapped.status).toBe(200);
      const opened = openWrappedDek(wrapped.body.ciphertext, key, aad);
      expect(opened).toEqual({ keyId: resource.id, version: 1, dek });
      // The check can fail: another key, or other AAD, does not open it.
      expect(() => openWrappedDek(wrapped.body.ciphertext, randomBytes(32), aad)).toThrow();
      expect(() => openWrappedDek(wrapped.body.ciphertext, key, ['tenant-8', 'ünïcode'])).toThrow();
    });

    it('does the same for a plain import (128-bit) and a generated DEK', async () => {
      const key = material('plain root key', 16);
      const created = await kp('POST', '/keys', createKeyBody({ name: 'plain-import', payload: key.toString('base64') }));
      expect(created.status).toBe(201);
      const id = created.body.resources[0].id as string;
      const wrapped = await kp('POST', `/keys/${id}/actions/wrap`, {});
      expect(wrapped.status).toBe(200);
      secrets['generated DEK'] = Buffer.from(wrapped.body.plaintext, 'base64');
      expect(openWrappedDek(wrapped.body.ciphertext, key)).toEqual({ keyId: id, version: 1, dek: Buffer.from(wrapped.body.plaintext, 'base64') });
    });

    it('imports 128- and 192-bit keys and a standard key through the token', async () => {
      await newToken({ maxAllowedRetrievals: 3 });
      const token = await retrieve();
      for (const bytes of [16, 24]) {
        const created = await secureCreate(encryptForImport(token, material(`secure ${bytes}-byte key`, bytes)));
        expect(created.status).toBe(201);
        expect(created.body.resources[0].algorithmBitSize).toBe(bytes * 8);
      }
      const standardKey = material('secure standard key');
      const standard = await kp('POST', '/keys', createKeyBody({ name: 'secure-std', extractable: true, ...encryptForImport(token, standardKey) }));
      expect(standard.status).toBe(201);
      const got = await kp('GET', `/keys/${standard.body.resources[0].id}`);
      expect(got.body.resources[0]).toMatchObject({ imported: true, extractable: true, payload: standardKey.toString('base64') });
    });

    it('refuses every bad input with its code, writes no key, and does not use the token up', async () => {
      await newToken({ maxAllowedRetrievals: 1 });
      const token = await retrieve();
      const key = material('refused then accepted key');
      const good = encryptForImport(token, key);
      const before = await keyCount();

      // The nonce: encrypted under another key, another nonce, tampered, or the IV not the one used.
      expectError(await secureCreate({ ...good, encryptedNonce: encryptForImport(token, randomBytes(32)).encryptedNonce }), 400, 'INCORRECT_NONCE_ERR');
      expectError(await secureCreate(encryptForImport(token, key, { nonce: randomBytes(12) })), 400, 'INCORRECT_NONCE_ERR');
      const tampered = Buffer.from(good.encryptedNonce, 'base64');
      tampered[0] = (tampered[0] ?? 0) ^ 1;
      expectError(await secureCreate({ ...good, encryptedNonce: tampered.toString('base64') }), 400, 'INCORRECT_NONCE_ERR');
      expectError(await secureCreate({ ...good, iv: randomBytes(12).toString('base64') }), 400, 'INCORRECT_NONCE_ERR');
      // The IV and the encrypted nonce themselves.
      expectError(await secureCreate({ ...good, iv: randomBytes(16).toString('base64') }), 400, 'INCORRECT_NONCE_IV_ERR', 'iv');
      expectError(await secureCreate({ ...good, iv: 'not base64!' }), 400, 'INCORRECT_NONCE_IV_ERR', 'iv');
      expectError(await secureCreate({ ...good, iv: undefined }), 400, 'INCORRECT_NONCE_IV_ERR', 'iv');
      expectError(await secureCreate({ ...good, encryptedNonce: undefined }), 400, 'INCORRECT_NONCE_IV_ERR', 'encryptedNonce');
      expectError(await secureCreate({ ...good, encryptedNonce: '' }), 400, 'INCORRECT_NONCE_IV_ERR', 'encryptedNonce');
      expectError(await secureCreate({ ...good, encryptedNonce: 42 }), 400, 'INCORRECT_NONCE_IV_ERR', 'encryptedNonce');
      // The payload.
      expectError(await secureCreate({ ...good, payload: undefined }), 400, 'INVALID_FIELD_ERR', 'payload');
      expectError(await secureCreate({ ...good, payload: '%%%' }), 400, 'INVALID_FIELD_ERR', 'payload');
      expectError(await secureCreate({ ...good, payload: randomBytes(1024).toString('base64') }), 400, 'INVALID_FIELD_ERR', 'payload');
      expectError(await secureCreate({ ...good, payload: randomBytes(512).toString('base64') }), 400, 'IMPORT_PAYLOAD_INVALID_ERR');
      // Material of a size no AES key has cannot have encrypted the nonce.
      const odd = material('20-byte material', 20);
      expectError(await secureCreate({ ...encryptForImport(token, randomBytes(16)), payload: encryptKeyForImport(token, odd) }), 400, 'INCORRECT_NONCE_IV_ERR');
      // The algorithm: unknown, SHA-1 on a Key Protect instance, or not the one used.
      expectError(await secureCreate({ ...good, encryptionAlgorithm: 'RSAES_PKCS1_V1_5' }), 400, 'INVALID_FIELD_ERR', 'encryptionAlgorithm');
      expectError(await secureCreate(encryptForImport(token, key, { algorithm: 'RSAES_OAEP_SHA_1' })), 400, 'INVALID_FIELD_ERR', 'encryptionAlgorithm');
      expectError(await secureCreate({ ...encryptForImport(token, key, { algorithm: 'RSAES_OAEP_SHA_1' }), encryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), 400, 'IMPORT_PAYLOAD_INVALID_ERR');
      // Half a secure import is not taken as plain material.
      expectError(await secureCreate({ payload: key.toString('base64'), encryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), 400, 'INCORRECT_NONCE_IV_ERR', 'encryptedNonce');

      expect(await keyCount()).toBe(before);
      // None of that used the token: its one import still works (encryptionAlgorithm defaults to SHA-256)…
      const created = await secureCreate({ ...good, encryptionAlgorithm: undefined });
      expect(created.status).toBe(201);
      expect(await keyCount()).toBe(before + 1);
      // …and a second one does not (maxAllowedRetrievals bounds imports too), nor does a replay.
      expectError(await secureCreate(encryptForImport(token, material('one too many'))), 409, 'IMPORT_TOKEN_EXPIRED_ERR');
      expectError(await secureCreate(good), 409, 'IMPORT_TOKEN_EXPIRED_ERR');
    }, 120_000);

    it('lets only one of two concurrent imports through a token that allows one', async () => {
      await newToken({ maxAllowedRetrievals: 1 });
      const token = await retrieve();
      const results = await Promise.all([secureCreate(encryptForImport(token, material('race a'))), secureCreate(encryptForImport(token, material('race b')))]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    });
  });

  describe('rotate with an import token', () => {
    it('rotates an imported key with new material; DEKs wrapped before and after open offline under their own versions', async () => {
      // A day-long token: the test moves the clock past the rotation interval twice.
      await newToken({ expiration: 86_400, maxAllowedRetrievals: 3 });
      const token = await retrieve();
      const v1 = material('rotated key v1');
      const created = await secureCreate(encryptForImport(token, v1));
      const id = created.body.resources[0].id as string;
      const before = await kp('POST', `/keys/${id}/actions/wrap`, {});
      secrets['dek before rotation'] = Buffer.from(before.body.plaintext, 'base64');

      // A failed rotation leaves no version: wrong nonce, a generated key's way (no payload).
      expectError(await kp('POST', `/keys/${id}/actions/rotate`, encryptForImport(token, material('bad-nonce rotation'), { nonce: randomBytes(12) })), 400, 'INCORRECT_NONCE_ERR');
      expectError(await kp('POST', `/keys/${id}/actions/rotate`, ''), 400, 'KEY_PAYLOAD_REQ_ERR');
      expectError(await kp('POST', `/keys/${id}/actions/rotate`, { iv: token.nonce }), 400, 'INVALID_FIELD_ERR', 'payload');
      expect((await kp('GET', `/keys/${id}/versions`)).body.metadata.collectionTotal).toBe(1);
      expect(openWrappedDek((await kp('POST', `/keys/${id}/actions/wrap`, {})).body.ciphertext, v1).version).toBe(1);

      const v2 = material('rotated key v2');
      const rotated = await kp('POST', `/keys/${id}/actions/rotate`, encryptForImport(token, v2));
      expect(rotated.status).toBe(204);
      expect((await kp('GET', `/keys/${id}/versions`)).body.metadata.collectionTotal).toBe(2);
      const after = await kp('POST', `/keys/${id}/actions/wrap`, {});
      secrets['dek after rotation'] = Buffer.from(after.body.plaintext, 'base64');
      expect(openWrappedDek(after.body.ciphertext, v2)).toMatchObject({ keyId: id, version: 2 });
      expect(openWrappedDek(before.body.ciphertext, v1)).toMatchObject({ keyId: id, version: 1 });
      // Three imports: the create, this rotation and the next (the failed ones gave theirs back); a fourth is refused.
      s.clock.advance(HOUR);
      const third = await kp('POST', `/keys/${id}/actions/rotate`, encryptForImport(token, material('rotated key v3')));
      expect(third.status).toBe(204);
      s.clock.advance(HOUR);
      expectError(await kp('POST', `/keys/${id}/actions/rotate`, encryptForImport(token, material('rotated key v4'))), 409, 'IMPORT_TOKEN_EXPIRED_ERR');
      expect((await kp('GET', `/keys/${id}/versions`)).body.metadata.collectionTotal).toBe(3);
    }, 120_000);

    it('a plain-imported key rotates through a token too; a generated key never takes material', async () => {
      await newToken({ maxAllowedRetrievals: 2 });
      const token = await retrieve();
      const plain = await kp('POST', '/keys', createKeyBody({ name: 'plain-then-secure', payload: material('plain before secure rotation').toString('base64') }));
      const next = material('secure rotation of a plain import');
      expect((await kp('POST', `/keys/${plain.body.resources[0].id}/actions/rotate`, encryptForImport(token, next))).status).toBe(204);
      const generated = await kp('POST', '/keys', createKeyBody({ name: 'generated' }));
      expectError(await kp('POST', `/keys/${generated.body.resources[0].id}/actions/rotate`, encryptForImport(token, material('refused for generated'))), 400, 'INVALID_FIELD_ERR', 'payload');
    });
  });

  describe('hs-crypto instances', () => {
    it('accept RSAES_OAEP_SHA_1 (as HPCS does) besides RSAES_OAEP_SHA_256', async () => {
      const hpcs = await s.instance('hs-crypto');
      await unsealWithOneCustodian(s, hpcs.guid);
      await newToken({ maxAllowedRetrievals: 2 }, hpcs.guid);
      const token = await retrieve(hpcs.guid);
      const sha1Key = material('hs-crypto sha1 key');
      const sha1 = await secureCreate(encryptForImport(token, sha1Key, { algorithm: 'RSAES_OAEP_SHA_1' }), 'hpcs-sha1', hpcs.guid);
      expect(sha1.status).toBe(201);
      const wrapped = await kp('POST', `/keys/${sha1.body.resources[0].id}/actions/wrap`, {}, { guid: hpcs.guid });
      secrets['hs-crypto DEK'] = Buffer.from(wrapped.body.plaintext, 'base64');
      expect(openWrappedDek(wrapped.body.ciphertext, sha1Key).dek.toString('base64')).toBe(wrapped.body.plaintext);
      expect((await secureCreate(encryptForImport(token, material('hs-crypto sha256 key')), 'hpcs-sha256', hpcs.guid)).status).toBe(201);
    }, 180_000);
  });

  describe('no imported key material anywhere', () => {
    it('in the KMS log, the HSM log or any KMS table, raw, hex, base64 or base64url', async () => {
      expect(Object.keys(secrets).length).toBeGreaterThan(10);
      await s.kms.app.get(AuditWriter).flush();
      const prisma = s.kms.app.get(KmsPrisma);
      const tables = ['instances', 'keys', 'key_versions', 'audit_records', 'import_tokens'];
      const dump = (await Promise.all(tables.map((t) => prisma.$queryRawUnsafe<unknown[]>(`SELECT * FROM ${t}`))))
        .map((rows) => JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))
        .join('\n');
      expect(dump).toContain('BEGIN PUBLIC KEY'); // the search is not blind
      const haystacks = { 'KMS log': Buffer.from(s.logs.text()), 'HSM log': Buffer.from(s.hsmLines.join('\n')), 'KMS tables': Buffer.from(dump) };
      expect(haystacks['KMS log'].length).toBeGreaterThan(1000);
      expect(haystacks['HSM log'].length).toBeGreaterThan(100);
      const leaks: string[] = [];
      for (const [where, haystack] of Object.entries(haystacks)) {
        for (const [name, secret] of Object.entries(secrets)) {
          const forms = { raw: secret, hex: Buffer.from(secret.toString('hex')), HEX: Buffer.from(secret.toString('hex').toUpperCase()), base64: Buffer.from(secret.toString('base64').replace(/=+$/, '')), base64url: Buffer.from(secret.toString('base64url')) };
          for (const [form, needle] of Object.entries(forms)) if (haystack.includes(needle)) leaks.push(`${name} (${form}) in ${where}`);
        }
      }
      expect(leaks).toEqual([]);
    });
  });
});

/** Any RSA public key as base64 of its PEM, as GET /import_token gives it. */
function anyPublicKeyB64(): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  return Buffer.from(publicKey).toString('base64');
}

/** A one-custodian ceremony through /crypto_v1, so the hs-crypto instance's domain is active (as crypto-units.int-spec.ts does). */
async function unsealWithOneCustodian(s: KmsSuite, guid: string): Promise<void> {
  const custodian = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const unit = (path: string, body: unknown) => call(s.kms.url, s.admin, 'POST', `/crypto_v1/instances/${guid}${path}`, body);
  const init = await unit('/ceremony/init', { threshold: 1, custodians: [{ name: 'solo', publicKey: custodian.publicKey }] });
  expect(init.status).toBe(200);
  const aad = Buffer.from('keyward.ceremony-part.v1');
  const data = Buffer.from(init.body.parts[0].encryptedPart as string, 'base64');
  const aesKey = privateDecrypt({ key: custodian.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data.subarray(0, 256));
  const decipher = createDecipheriv('aes-256-gcm', aesKey, data.subarray(256, 268)).setAAD(aad).setAuthTag(data.subarray(data.length - 16));
  const part = Buffer.concat([decipher.update(data.subarray(268, data.length - 16)), decipher.final()]);
  const partKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', partKey, iv).setAAD(aad);
  const body = Buffer.concat([cipher.update(part), cipher.final()]);
  const wrapped = publicEncrypt({ key: init.body.ceremonyPublicKey as string, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, partKey);
  const unsealed = await unit('/unseal', { encryptedPart: Buffer.concat([wrapped, iv, body, cipher.getAuthTag()]).toString('base64') });
  expect(unsealed.body.replicas[0]).toMatchObject({ state: 'active' });
}
