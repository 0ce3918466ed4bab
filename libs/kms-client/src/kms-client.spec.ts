import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceTokenProvider, requestContext } from '@keyward/platform';
import { KmsClient } from './kms-client';
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
