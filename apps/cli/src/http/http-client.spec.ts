import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError, EXIT } from '../cli-error';
import { testContext } from '../testing/test-context';
import { HttpClient, ServiceRequestError } from './http-client';

describe('HttpClient', () => {
  let server: Server;
  let url: string;
  const seen: { headers: IncomingMessage['headers']; url: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, url: req.url ?? '', body });
        if (req.url?.startsWith('/html')) {
          res.end('<html>hi</html>');
          return;
        }
        if (req.url?.startsWith('/kp-error')) {
          res.writeHead(404, { 'content-type': 'application/json', 'x-request-id': 'server-id' });
          res.end(JSON.stringify({ resources: [{ errorMsg: 'Not Found', reasons: [{ code: 'KEY_NOT_FOUND_ERR', message: 'Key does not exist' }] }] }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends a request id, the token, the query and a JSON body in the media type the caller names', async () => {
    const client = new HttpClient(testContext({}));
    const answer = await client.send('kms', url, {
      method: 'POST',
      path: '/api/v2/keys',
      query: { extractable: 'false', skipped: undefined },
      json: { a: 1 },
      headers: { 'content-type': 'application/vnd.ibm.kms.key+json', 'bluemix-instance': 'guid-1' },
      token: 'tok',
    });
    expect(answer.body).toEqual({ ok: true });
    const request = seen.at(-1);
    expect(request?.url).toBe('/api/v2/keys?extractable=false');
    expect(request?.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/vnd.ibm.kms.key+json', 'bluemix-instance': 'guid-1' });
    expect(request?.headers['x-request-id']).toBe(answer.requestId);
    expect(request?.body).toBe('{"a":1}');
  });

  it("turns an error answer into ServiceRequestError with the service's code and request id", async () => {
    const error = await new HttpClient(testContext({})).send('kms', url, { method: 'GET', path: '/kp-error' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceRequestError);
    expect((error as ServiceRequestError).error).toEqual({ status: 404, code: 'KEY_NOT_FOUND_ERR', message: 'Key does not exist', requestId: 'server-id' });
  });

  it('a success that is not JSON is exit 5', async () => {
    const error = await new HttpClient(testContext({})).send('kms', url, { method: 'GET', path: '/html' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.unavailable);
  });
});
