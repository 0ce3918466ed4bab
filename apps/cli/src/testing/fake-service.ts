import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionStore } from '../config/session-store';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
}

/**
 * A stand-in service over HTTP for in-process command tests: records each request and answers with
 * `answer(request)` (IAM's token grants included). Also writes a logged-in session pointing every app at it.
 */
export async function fakeService(answer: (request: SeenRequest) => FakeAnswer): Promise<{ url: string; seen: SeenRequest[]; configDir: string; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const isJson = (req.headers['content-type'] ?? '').includes('json');
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? (isJson ? (JSON.parse(text) as unknown) : text) : undefined };
      seen.push(request);
      const { status, body } = answer(request);
      res.statusCode = status;
      if (body !== undefined) res.setHeader('content-type', 'application/json');
      res.end(body === undefined ? undefined : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configDir = join(mkdtempSync(join(tmpdir(), 'keyward-fake-')), 'config');
  new SessionStore(configDir).write({
    version: 1,
    iamUrl: url,
    endpoints: { kms: url, schematics: url, 'app-configuration': url, dbaas: url },
    accessToken: 'access-token-secret',
    refreshToken: 'refresh-token-secret',
    expiration: 4_000_000_000,
    user: { iamId: 'IBMid-7', name: 'alice', accountId: 'b'.repeat(32), type: 'user' },
    target: {},
  });
  return { url, seen, configDir, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
