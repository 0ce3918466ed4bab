import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { runCli } from '../../program';
import { type FakeAnswer, type SeenRequest, fakeService } from '../../testing/fake-service';
import { testContext } from '../../testing/test-context';

const INSTANCE = '11111111-2222-4333-8444-555555555555';
const KEY = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const keyEnvelope = (resource: unknown) => ({ metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 }, resources: [resource] });

describe('keyward kp, KMS part 2 commands (in-process, against a stand-in KMS)', () => {
  const tokenKeys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const nonce = randomBytes(12);
  let kms: Awaited<ReturnType<typeof fakeService>>;
  let answer: (request: SeenRequest) => FakeAnswer;

  beforeAll(async () => {
    kms = await fakeService((request) => answer(request));
  });
  afterAll(async () => {
    await kms.close();
    rmSync(dirname(kms.configDir), { recursive: true, force: true });
  });
  beforeEach(() => {
    kms.seen.length = 0;
  });
  const run = async (args: string[]) => {
    const ctx = testContext({ KEYWARD_CONFIG_DIR: kms.configDir });
    const code = await runCli(args, ctx);
    return { code, out: ctx.stdout.join('\n'), err: ctx.stderr.join('\n') };
  };
  const calls = () => kms.seen.map((r) => `${r.method} ${r.url}`);

  it('creates and shows an import token', async () => {
    answer = (request) => ({ status: 200, body: { creationDate: 'c', expirationDate: 'e', maxAllowedRetrievals: 2, remainingRetrievals: 2, ...(request.method === 'GET' ? { payload: Buffer.from(tokenKeys.publicKey).toString('base64'), nonce: nonce.toString('base64') } : {}) } });
    expect((await run(['kp', 'import-token', 'create', '-i', INSTANCE, '-e', '900', '-m', '2'])).code).toBe(0);
    expect(kms.seen[0]).toMatchObject({ method: 'POST', url: '/api/v2/import_token', body: { expiration: 900, maxAllowedRetrievals: 2 } });
    const shown = await run(['kp', 'import-token', 'show', '-i', INSTANCE]);
    expect(shown.out).toContain('BEGIN PUBLIC KEY');
    expect(shown.out).toMatch(new RegExp(`Nonce:\\s+${nonce.toString('base64').replace(/[+/]/g, '\\$&')}`));
    expect((await run(['kp', 'import-token', 'create', '-i', INSTANCE, '-e', '10'])).code).toBe(2);
  });

  it('key create --import-token retrieves the token and sends only the encrypted material, the encrypted nonce and the IV', async () => {
    const material = randomBytes(32);
    answer = (request) =>
      request.url === '/api/v2/import_token'
        ? { status: 200, body: { payload: Buffer.from(tokenKeys.publicKey).toString('base64'), nonce: nonce.toString('base64'), remainingRetrievals: 0 } }
        : { status: 201, body: keyEnvelope({ id: KEY, name: 'imported', state: 1, extractable: false, imported: true }) };
    const result = await run(['kp', 'key', 'create', 'imported', '-i', INSTANCE, '-k', material.toString('base64'), '--import-token', '-a', 'one,two', '-r', 'ring-1']);
    expect(result.code).toBe(0);
    expect(calls()).toEqual(['GET /api/v2/import_token', 'POST /api/v2/keys']);
    const create = kms.seen[1]!;
    expect(create.headers['x-kms-key-ring']).toBe('ring-1');
    const resource = (create.body as { resources: Record<string, string>[] }).resources[0]!;
    expect(resource).toMatchObject({ name: 'imported', extractable: false, aliases: ['one', 'two'], encryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
    expect(privateDecrypt({ key: tokenKeys.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(resource['payload']!, 'base64'))).toEqual(material);
    const sealed = Buffer.from(resource['encryptedNonce']!, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', material, Buffer.from(resource['iv']!, 'base64')).setAuthTag(sealed.subarray(12));
    expect(Buffer.concat([decipher.update(sealed.subarray(0, 12)), decipher.final()])).toEqual(nonce);
    expect(JSON.stringify(kms.seen)).not.toContain(material.toString('base64'));
    expect(result.out + result.err).not.toContain(material.toString('base64'));

    kms.seen.length = 0;
    expect((await run(['kp', 'key', 'create', 'x', '-i', INSTANCE, '--import-token'])).code).toBe(2);
    expect(kms.seen).toEqual([]);
  });

  it('key rings, aliases, key and instance policies and registrations go where Key Protect serves them', async () => {
    answer = (request) => {
      if (request.url.startsWith('/api/v2/key_rings') && request.method === 'POST') return { status: 201 };
      if (request.method === 'DELETE') return { status: 204 };
      if (request.url.startsWith('/api/v2/key_rings')) return { status: 200, body: { metadata: { collectionTotal: 2 }, resources: [{ id: 'default' }, { id: 'ring-1' }] } };
      if (request.url.includes('/aliases/')) return { status: 201, body: { metadata: { collectionTotal: 1 }, resources: [{ keyId: KEY, alias: 'my-alias' }] } };
      if (request.url.startsWith('/api/v2/instance/policies') && request.method === 'PUT') return { status: 204 };
      if (request.url.includes('/policies')) return { status: 200, body: { metadata: { collectionTotal: 1 }, resources: [{ rotation: { enabled: true, interval_month: 3 } }] } };
      return { status: 200, body: { metadata: { collectionTotal: 1 }, resources: [{ keyId: KEY, resourceCrn: 'crn:v1:keyward:public:apprapp:us-south:a/x:y::', preventKeyDeletion: true }] } };
    };
    expect((await run(['kp', 'key-ring', 'create', 'ring-1', '-i', INSTANCE])).code).toBe(0);
    expect((await run(['kp', 'key-rings', '-i', INSTANCE])).out).toMatch(/^ring-1$/m);
    expect((await run(['kp', 'key-ring', 'delete', 'ring-1', '-i', INSTANCE, '-f', '--move-destroyed-keys'])).code).toBe(0);
    expect((await run(['kp', 'key', 'alias-create', KEY, '-a', 'my-alias', '-i', INSTANCE])).out).toContain('Created alias my-alias');
    expect((await run(['kp', 'key', 'policy-update', 'rotation', KEY, '-m', '3', '-i', INSTANCE])).out).toContain('every 3 month(s)');
    expect((await run(['kp', 'key', 'policy-update', 'dual-auth-delete', KEY, '-e', '-i', INSTANCE])).code).toBe(0);
    expect((await run(['kp', 'instance', 'policy-update', 'dual-auth-delete', '-e', '-i', INSTANCE])).code).toBe(0);
    expect((await run(['kp', 'instance', 'policy-update', 'allowed-network', '-e', '-n', 'private-only', '-i', INSTANCE])).code).toBe(0);
    expect((await run(['kp', 'instance', 'policy-update', 'key-create-import-access', '-e', '--enforce-token', 'true', '-i', INSTANCE])).code).toBe(0);
    expect((await run(['kp', 'registrations', '-i', INSTANCE, '-k', KEY, '-c', 'crn:v1:*'])).out).toMatch(new RegExp(`^${KEY}\\s+crn:v1:keyward:public:apprapp\\S+\\s+yes`, 'm'));
    expect(calls()).toEqual([
      'POST /api/v2/key_rings/ring-1',
      'GET /api/v2/key_rings',
      'DELETE /api/v2/key_rings/ring-1?force=true',
      `POST /api/v2/keys/${KEY}/aliases/my-alias`,
      `PUT /api/v2/keys/${KEY}/policies?policy=rotation`,
      `PUT /api/v2/keys/${KEY}/policies?policy=dualAuthDelete`,
      'PUT /api/v2/instance/policies?policy=dualAuthDelete',
      'PUT /api/v2/instance/policies?policy=allowedNetwork',
      'PUT /api/v2/instance/policies?policy=keyCreateImportAccess',
      `GET /api/v2/keys/${KEY}/registrations?urlEncodedResourceCRNQuery=crn%3Av1%3A*`,
    ]);
    expect(kms.seen[4]?.body).toEqual({ metadata: { collectionType: 'application/vnd.ibm.kms.policy+json', collectionTotal: 1 }, resources: [{ type: 'application/vnd.ibm.kms.policy+json', rotation: { enabled: true, interval_month: 3 } }] });
    expect(kms.seen[8]?.body).toMatchObject({ resources: [{ policy_type: 'keyCreateImportAccess', policy_data: { enabled: true, attributes: { enforce_token: true } } }] });

    kms.seen.length = 0;
    for (const bad of [
      ['kp', 'key', 'policy-update', 'rotation', KEY, '-m', '13', '-i', INSTANCE],
      ['kp', 'key', 'policy-update', 'dual-auth-delete', KEY, '-i', INSTANCE],
      ['kp', 'instance', 'policy-update', 'allowed-network', '-e', '-i', INSTANCE],
      ['kp', 'instance', 'policy-update', 'metrics', '-e', '-d', '-i', INSTANCE],
      ['kp', 'key', 'alias-create', KEY, '-a', 'x', '-i', INSTANCE],
      ['kp', 'key-ring', 'delete', 'ring-1', '-i', INSTANCE],
    ]) expect((await run(bad)).code).toBe(2);
    expect(kms.seen).toEqual([]);
  });

  it('dual authorization: schedule-delete and cancel-delete; a delete may override registrations; refusals name the next step', async () => {
    answer = () => ({ status: 204 });
    expect((await run(['kp', 'key', 'schedule-delete', KEY, '-i', INSTANCE])).out).toContain('another Manager');
    expect((await run(['kp', 'key', 'cancel-delete', KEY, '-i', INSTANCE])).code).toBe(0);
    expect((await run(['kp', 'key', 'delete', KEY, '-i', INSTANCE, '-f', '--override-registrations'])).code).toBe(0);
    expect(calls()).toEqual([`POST /api/v2/keys/${KEY}/actions/setKeyForDeletion`, `POST /api/v2/keys/${KEY}/actions/unsetKeyForDeletion`, `DELETE /api/v2/keys/${KEY}?force=true`]);
    const conflict = (code: string) => () => ({ status: 409, body: { resources: [{ errorMsg: code, reasons: [{ code, message: 'Conflict', status: 409 }] }] } });
    answer = conflict('AUTHORIZATIONS_NOT_MET');
    expect((await run(['kp', 'key', 'delete', KEY, '-i', INSTANCE, '-f'])).err).toContain('keyward kp key schedule-delete');
    answer = conflict('PROTECTED_RESOURCE_ERR');
    const protectedKey = await run(['kp', 'key', 'delete', KEY, '-i', INSTANCE, '-f']);
    expect(protectedKey.code).toBe(4);
    expect(protectedKey.err).toContain('--override-registrations');
  });
});
