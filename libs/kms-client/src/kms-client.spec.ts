import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceTokenProvider, requestContext } from '@keyward/platform';
import { type KeyRef, KmsClient } from './kms-client';
import { FakeKmsServer, countingTokens, kpError } from './testing/fake-kms-server';
import { KmsClientError } from './kms-client-error';

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A small HTTP server standing in for IAM and the KMS, recording what it was sent. */
async function fakeServer(handler: (seen: Seen, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const record = { method: req.method, url: req.url, headers: req.headers, body };
      seen.push(record);
      handler(record, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const API_KEY = 'kw-service-apikey-0123456789abcdef';
const ref = { instanceId: 'inst-1', keyId: 'key/1', sourceCrn: 'crn:v1:keyward:public:apprapp:us-south:a/acc1:guid1::' };

describe(KmsClient.name, () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function setUp(kmsHandler: (seen: Seen, res: ServerResponse) => void, iamStatus = 200) {
    let issued = 0;
    const iam = await fakeServer((_seen, res) => {
      issued += 1;
      if (iamStatus !== 200) return json(res, iamStatus, { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found' });
      json(res, 200, { access_token: `token-${issued}`, refresh_token: 'r', token_type: 'Bearer', expires_in: 3600 });
    });
    const kms = await fakeServer(kmsHandler);
    servers.push(iam.server, kms.server);
    let now = 1_000_000;
    const tokens = new ServiceTokenProvider({ iamUrl: iam.url, apiKey: API_KEY, now: () => now });
    return { iam, kms, client: new KmsClient({ kmsUrl: kms.url, tokens }), advance: (ms: number) => (now += ms) };
  }

  it('wraps with the service token, the instance, the source CRN and the request id', async () => {
    const { iam, kms, client } = await setUp((_seen, res) => json(res, 200, { ciphertext: 'c1', plaintext: 'p1', keyVersion: { id: 'v1' } }));
    const result = await requestContext.run({ requestId: 'req-42' }, () => client.wrap(ref, { aad: ['a'] }));
    expect(result).toEqual({ ciphertext: 'c1', plaintext: 'p1', keyVersion: { id: 'v1' } });
    expect(iam.seen[0]?.body).toBe(`grant_type=${encodeURIComponent('urn:ibm:params:oauth:grant-type:apikey')}&apikey=${API_KEY}`);
    const call = kms.seen[0] as Seen;
    expect(call.method).toBe('POST');
    expect(call.url).toBe('/api/v2/keys/key%2F1/actions/wrap');
    expect(call.headers['authorization']).toBe('Bearer token-1');
    expect(call.headers['bluemix-instance']).toBe('inst-1');
    expect(call.headers['x-keyward-source-crn']).toBe(ref.sourceCrn);
    expect(call.headers['x-request-id']).toBe('req-42');
    expect(JSON.parse(call.body)).toEqual({ aad: ['a'] });
  });

  it('lists the keys of an instance with the filters as query parameters and no source CRN', async () => {
    const key = { id: 'k1', name: 'root', crn: 'crn:v1:keyward:public:kms:us-south:a/acc1:inst-1:key:k1', extractable: false, state: 1, type: 'x' };
    const { kms, client } = await setUp((_seen, res) => json(res, 200, { metadata: { collectionTotal: 1 }, resources: [key] }));
    const keys = await client.listKeys({ instanceId: 'inst-1', kmsUrl: kms.url }, { extractable: false, state: [1] });
    expect(keys).toEqual([{ id: 'k1', name: 'root', crn: key.crn, extractable: false, state: 1 }]);
    const call = kms.seen[0] as Seen;
    expect(call.method).toBe('GET');
    expect(call.url).toBe('/api/v2/keys?limit=200&extractable=false&state=1');
    expect(call.headers['bluemix-instance']).toBe('inst-1');
    expect(call.headers['x-keyward-source-crn']).toBeUndefined();
  });

  it('exchanges the API key once for concurrent calls and again only when the token nears expiry', async () => {
    const { iam, kms, client, advance } = await setUp((_seen, res) => json(res, 200, { plaintext: 'p', keyVersion: { id: 'v1' } }));
    await Promise.all([client.unwrap(ref, { ciphertext: 'c' }), client.unwrap(ref, { ciphertext: 'c' })]);
    expect(iam.seen).toHaveLength(1);
    advance(0.8 * 3600_000 - 1000);
    await client.unwrap(ref, { ciphertext: 'c' });
    expect(iam.seen).toHaveLength(1);
    advance(2_000);
    await client.unwrap(ref, { ciphertext: 'c' });
    expect(iam.seen).toHaveLength(2);
    expect(kms.seen.map((seen) => seen.headers['authorization'])).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
  });

  it('retries once with a fresh token when the KMS refuses the cached one', async () => {
    let calls = 0;
    const { iam, kms, client } = await setUp((_seen, res) => {
      calls += 1;
      if (calls === 1) return json(res, 401, { resources: [{ errorMsg: 'Unauthorized', reasons: [{ code: 'UNAUTHORIZED_ERR', status: 401 }] }] });
      json(res, 200, { ciphertext: 'c', keyVersion: { id: 'v1' } });
    });
    await expect(client.wrap(ref)).resolves.toMatchObject({ ciphertext: 'c' });
    expect(iam.seen).toHaveLength(2);
    expect(kms.seen.map((seen) => seen.headers['authorization'])).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('turns a Key Protect error envelope into a coded error', async () => {
    const { client } = await setUp((_seen, res) =>
      json(res, 422, {
        metadata: { collectionType: 'application/vnd.ibm.kms.error+json', collectionTotal: 1 },
        resources: [{ errorMsg: 'Unprocessable Entity', reasons: [{ code: 'UNPROCESSABLE_CIPHERTEXT_ERR', message: 'The provided ciphertext is invalid or corrupted', status: 422 }] }],
      }),
    );
    const error = await client.unwrap(ref, { ciphertext: 'bad' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsClientError);
    expect(error).toMatchObject({ code: 'UNPROCESSABLE_CIPHERTEXT_ERR', status: 422, isTransient: false });
  });

  it('reports an unreachable KMS as SERVICE_UNAVAILABLE_ERR', async () => {
    const { client } = await setUp((_seen, res) => json(res, 200, {}));
    const unreachable = new KmsClient({ kmsUrl: 'http://127.0.0.1:1', tokens: { get: () => Promise.resolve('t') }, timeoutMs: 2000 });
    await expect(unreachable.health()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE_ERR', status: 503, isTransient: true });
    await expect(client.health()).rejects.toMatchObject({ code: 'BAD_RPC_RESPONSE_ERR' });
  });

  it('stops before the KMS when IAM refuses the service API key, without echoing the key', async () => {
    const { client, kms } = await setUp((_seen, res) => json(res, 200, {}), 400);
    const error = (await client.wrap(ref).catch((caught: unknown) => caught)) as Error;
    expect(error).toMatchObject({ code: 'INTERNAL_ERR' });
    expect(error.message).not.toContain(API_KEY);
    expect(kms.seen).toHaveLength(0);
  });
});

describe(`${KmsClient.name} (registrations, events, batches, other endpoints)`, () => {
  const fakes: FakeKmsServer[] = [];
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  });

  async function setUp() {
    const kms = await FakeKmsServer.start();
    const other = await FakeKmsServer.start();
    fakes.push(kms, other);
    const tokens = countingTokens();
    const keyId = kms.addKey();
    other.keys.set(keyId, kms.keys.get(keyId)!);
    const key: KeyRef = { instanceId: 'inst-1', keyId, sourceCrn: SOURCE_CRN };
    return { kms, other, tokens, key, client: new KmsClient({ kmsUrl: kms.url, tokens }) };
  }

  const SOURCE_CRN = 'crn:v1:keyward:public:apprapp:us-south:a/0123456789abcdef0123456789abcdef:5f7e2b10-1111-4222-8333-944445555666::';

  it('sends a call to the KMS the call names, and to the default KMS otherwise', async () => {
    const { kms, other, key, client } = await setUp();
    await client.wrap({ ...key, kmsUrl: other.url });
    await client.wrap(key);
    expect(other.requestsTo('/actions/wrap')).toHaveLength(1);
    expect(kms.requestsTo('/actions/wrap')).toHaveLength(1);
    await expect(client.health(other.url)).resolves.toEqual({ status: 'ok', checks: {} });
    expect(other.requestsTo('/health')).toHaveLength(1);
  });

  it('registers with preventKeyDeletion false, the CRN encoded once in the path, as the resource itself', async () => {
    const { kms, key, client } = await setUp();
    const registration = await client.register({ ...key, keyRing: 'ring-a' }, { description: 'App Configuration instance', registrationMetadata: 'plan=standard' });
    expect(registration).toMatchObject({ keyId: key.keyId, resourceCrn: SOURCE_CRN, preventKeyDeletion: false });
    const sent = kms.requestsTo(`/registrations/${encodeURIComponent(SOURCE_CRN)}`)[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe(`/api/v2/keys/${key.keyId}/registrations/${encodeURIComponent(SOURCE_CRN)}`);
    expect(sent.headers['content-type']).toBe('application/vnd.ibm.kms.registration_input+json');
    expect(sent.headers['authorization']).toBe('Bearer token-1');
    expect(sent.headers['bluemix-instance']).toBe('inst-1');
    expect(sent.headers['x-keyward-source-crn']).toBe(SOURCE_CRN);
    expect(sent.headers['x-kms-key-ring']).toBe('ring-a');
    expect(sent.body).toEqual({
      metadata: { collectionType: 'application/vnd.ibm.kms.registration_input+json', collectionTotal: 1 },
      resources: [{ preventKeyDeletion: false, description: 'App Configuration instance', registrationMetadata: 'plan=standard' }],
    });
  });

  it('updates the registered key version with PATCH and never sends preventKeyDeletion there', async () => {
    const { kms, key, client } = await setUp();
    await client.register(key);
    const newVersion = kms.rotate(key.keyId);
    await expect(client.updateRegistration(key, { keyVersionId: newVersion })).resolves.toMatchObject({ keyVersion: { id: newVersion } });
    const patch = kms.requests.find((request) => request.method === 'PATCH')!;
    expect((patch.body as { resources: unknown[] }).resources).toEqual([{ keyVersionId: newVersion }]);
  });

  it('unregisters (true), reports an unknown registration as false, and throws any other refusal', async () => {
    const { kms, key, client } = await setUp();
    await client.register(key);
    await expect(client.unregister(key)).resolves.toBe(true);
    await expect(client.unregister(key)).resolves.toBe(false);
    kms.intercept = (request) => (request.method === 'DELETE' ? kpError(409, 'CONFLICT_ERR', 'busy') : undefined);
    await expect(client.unregister(key)).rejects.toMatchObject({ code: 'CONFLICT_ERR', status: 409 });
  });

  it('acknowledges an event with its body, media type and the resource as source, retrying once with a fresh token', async () => {
    const { kms, tokens, client } = await setUp();
    let refused = false;
    kms.intercept = (request) => {
      if (request.path !== '/api/v2/event_ack' || refused) return undefined;
      refused = true;
      return kpError(401, 'UNAUTHORIZED_ERR', 'Unauthorized');
    };
    await client.ackEvent({ instanceId: 'inst-1' }, { eventId: 'ev-1', resourceCrn: SOURCE_CRN, keyVersionId: 'v-2' });
    const acks = kms.requestsTo('/event_ack');
    expect(acks).toHaveLength(2);
    expect(acks.map((ack) => ack.headers['authorization'])).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(tokens.issued()).toBe(2);
    expect(acks[1]!.body).toEqual({ eventId: 'ev-1', resourceCrn: SOURCE_CRN, keyVersionId: 'v-2' });
    expect(acks[1]!.headers['content-type']).toBe('application/vnd.ibm.kms.event_acknowledge+json');
    expect(acks[1]!.headers['x-keyward-source-crn']).toBe(SOURCE_CRN);
    expect(acks[1]!.headers['bluemix-instance']).toBe('inst-1');
  });

  it('throws the KMS reason code when an acknowledgement is refused (408 after the acknowledgement window)', async () => {
    const { kms, client } = await setUp();
    kms.intercept = () => kpError(408, 'EVENT_ACK_TIMEOUT_ERR', 'too late');
    await expect(client.ackEvent({ instanceId: 'inst-1' }, { eventId: 'ev-1', resourceCrn: SOURCE_CRN, keyVersionId: 'v' })).rejects.toMatchObject({ status: 408, code: 'EVENT_ACK_TIMEOUT_ERR' });
  });

  it('wraps and unwraps in batches, in request order, with per-item errors', async () => {
    const { kms, key, client } = await setUp();
    const deks = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)].map((dek) => dek.toString('base64'));
    const wrapped = await client.wrapBatch(key, deks.map((plaintext) => ({ plaintext, aad: ['t'] })));
    expect(kms.requestsTo('/actions/wrap_batch')[0]!.body).toEqual({ items: deks.map((plaintext) => ({ plaintext, aad: ['t'] })) });
    const ciphertexts = wrapped.map((result) => ('ciphertext' in result ? result.ciphertext : ''));
    const unwrapped = await client.unwrapBatch(key, [...ciphertexts.map((ciphertext) => ({ ciphertext, aad: ['t'] })), { ciphertext: 'bm90IGEgY2lwaGVydGV4dA==', aad: ['t'] }]);
    expect(unwrapped.slice(0, 2).map((result) => ('plaintext' in result ? result.plaintext : undefined))).toEqual(deks);
    expect(unwrapped[2]).toEqual({ error: { code: 'UNPROCESSABLE_CIPHERTEXT_ERR', message: expect.any(String) } });
  });

  it('cuts a long batch into calls of at most 1,000 items and about 3.5 MB, keeping the order', async () => {
    const { kms, key, client } = await setUp();
    const small = Array.from({ length: 2500 }, (_, i) => ({ plaintext: Buffer.alloc(32, i % 256).toString('base64') }));
    const wrapped = await client.wrapBatch(key, small);
    expect(kms.requestsTo('/actions/wrap_batch').map((request) => (request.body as { items: unknown[] }).items.length)).toEqual([1000, 1000, 500]);
    const unwrapped = await client.unwrapBatch(key, wrapped.map((result) => ({ ciphertext: 'ciphertext' in result ? result.ciphertext : '' })));
    expect(unwrapped.map((result) => ('plaintext' in result ? result.plaintext : undefined))).toEqual(small.map((item) => item.plaintext));
    // Key Protect's largest DEKs (7,168 bytes): about 9.6 KB of base64 each, so 400 of them need two calls.
    const large = Array.from({ length: 400 }, () => ({ plaintext: Buffer.alloc(7168, 7).toString('base64') }));
    await client.wrapBatch(key, large);
    const sizes = kms.requestsTo('/actions/wrap_batch').slice(3).map((request) => request.rawBody.length);
    expect(sizes).toHaveLength(2);
    for (const size of sizes) expect(size).toBeLessThan(4 * 1024 * 1024);
  });

  it('rejects an answer that is not what Key Protect sends', async () => {
    const { kms, key, client } = await setUp();
    kms.intercept = () => ({ status: 201, body: { resources: [] } });
    await expect(client.register(key)).rejects.toMatchObject({ code: 'BAD_RPC_RESPONSE_ERR' });
  });
});
