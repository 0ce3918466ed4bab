import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stand-in KMS received, as sent. */
export interface RecordedRequest {
  method: string;
  /** The raw path (still URL-encoded) without the query. */
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  rawBody: string;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
}

/** Lets a test answer (or hold) a request itself; undefined falls through to the default behaviour. */
export type Interceptor = (request: RecordedRequest) => FakeResponse | undefined | Promise<FakeResponse | undefined>;

interface FakeKey {
  versions: { id: string; material: Buffer }[];
  /** Key Protect state numbers: 1 active, 2 suspended, 3 deactivated, 5 destroyed. */
  state: number;
}

/**
 * A small HTTP server standing in for the KMS's Key Protect API in kms-client's tests: it records every
 * request and really wraps and unwraps (AES-GCM under per-version root keys it holds), so envelope
 * encryption round trips, rotations and refusals behave as against the real KMS. Unit tests only;
 * the real KMS is exercised by apps/kms's suites and the stack e2e.
 */
export class FakeKmsServer {
  readonly requests: RecordedRequest[] = [];
  readonly keys = new Map<string, FakeKey>();
  readonly registrations = new Map<string, { keyId: string; resourceCrn: string; preventKeyDeletion: boolean; keyVersionId: string }>();
  intercept?: Interceptor;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeKmsServer> {
    const holder: { fake?: FakeKmsServer } = {};
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        void holder.fake?.serve(req, res, raw);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.fake = new FakeKmsServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** A new active root key with one version; returns its id. */
  addKey(keyId: string = randomUUID()): string {
    this.keys.set(keyId, { versions: [{ id: randomUUID(), material: randomBytes(32) }], state: 1 });
    return keyId;
  }

  /** Adds a version (as a rotation does) and returns its id. */
  rotate(keyId: string): string {
    const key = this.key(keyId);
    const version = { id: randomUUID(), material: randomBytes(32) };
    key.versions.push(version);
    return version.id;
  }

  setState(keyId: string, state: number): void {
    this.key(keyId).state = state;
  }

  latestVersionId(keyId: string): string {
    const versions = this.key(keyId).versions;
    return (versions[versions.length - 1] as { id: string }).id;
  }

  /** Requests to paths ending with `suffix` (e.g. `/actions/unwrap`, `/event_ack`). */
  requestsTo(suffix: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path.endsWith(suffix));
  }

  private key(keyId: string): FakeKey {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`no fake key ${keyId}`);
    return key;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body, rawBody: raw };
    this.requests.push(request);
    const answer = (await this.intercept?.(request)) ?? this.route(request);
    if (answer.body === undefined) {
      res.writeHead(answer.status);
      res.end();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  private route(request: RecordedRequest): FakeResponse {
    if (request.method === 'GET' && request.path === '/health') return { status: 200, body: { status: 'ok', checks: {} } };
    if (request.method === 'POST' && request.path === '/api/v2/event_ack') return { status: 204 };
    const action = /^\/api\/v2\/keys\/([^/]+)\/actions\/([a-z_]+)$/.exec(request.path);
    if (action && request.method === 'POST') return this.keyAction(decodeURIComponent(action[1] as string), action[2] as string, (request.body ?? {}) as Record<string, unknown>);
    const registration = /^\/api\/v2\/keys\/([^/]+)\/registrations\/([^/]+)$/.exec(request.path);
    if (registration) return this.registration(request, decodeURIComponent(registration[1] as string), decodeUntilStable(registration[2] as string));
    return kpError(404, 'NOT_FOUND_ERR', 'no such route in the fake KMS');
  }

  private keyAction(keyId: string, action: string, body: Record<string, unknown>): FakeResponse {
    const key = this.keys.get(keyId);
    if (!key) return kpError(404, 'KEY_NOT_FOUND_ERR', 'Key does not exist');
    const latest = key.versions.length - 1;
    const aad = (body['aad'] as string[] | undefined) ?? [];
    const wrapOne = (plaintext: string | undefined) => {
      const dek = plaintext === undefined ? randomBytes(32) : Buffer.from(plaintext, 'base64');
      return { ciphertext: this.seal(keyId, latest, dek, aad), keyVersion: { id: key.versions[latest]?.id }, ...(plaintext === undefined ? { plaintext: dek.toString('base64') } : {}) };
    };
    const unwrapOne = (ciphertext: string) => this.open(keyId, ciphertext, aad);
    switch (action) {
      case 'wrap':
        if (key.state !== 1) return kpError(409, 'KEY_ACTION_INVALID_STATE_ERR', `Key is not in active state (state ${key.state})`);
        return { status: 200, body: wrapOne(body['plaintext'] as string | undefined) };
      case 'unwrap':
      case 'rewrap': {
        if (key.state !== 1 && key.state !== 3) return kpError(409, 'KEY_ACTION_INVALID_STATE_ERR', `Key is not in active state (state ${key.state})`);
        const opened = unwrapOne(String(body['ciphertext']));
        if (!opened) return kpError(422, 'UNPROCESSABLE_CIPHERTEXT_ERR', 'The provided ciphertext is invalid or corrupted');
        const newest = { id: key.versions[latest]?.id };
        if (action === 'rewrap') return { status: 200, body: { ciphertext: this.seal(keyId, latest, opened.dek, aad), keyVersion: newest, rewrappedKeyVersion: newest } };
        return {
          status: 200,
          body: {
            plaintext: opened.dek.toString('base64'),
            keyVersion: { id: key.versions[opened.version]?.id },
            ...(opened.version < latest ? { ciphertext: this.seal(keyId, latest, opened.dek, aad), rewrappedKeyVersion: newest } : {}),
          },
        };
      }
      case 'wrap_batch':
      case 'unwrap_batch': {
        const items = (body['items'] as { plaintext?: string; ciphertext?: string }[] | undefined) ?? [];
        const results = items.map((item) => {
          if (action === 'wrap_batch') return wrapOne(item.plaintext);
          const opened = unwrapOne(String(item.ciphertext));
          return opened
            ? { plaintext: opened.dek.toString('base64'), keyVersion: { id: key.versions[opened.version]?.id } }
            : { error: { code: 'UNPROCESSABLE_CIPHERTEXT_ERR', message: 'The provided ciphertext is invalid or corrupted' } };
        });
        return { status: 200, body: { results } };
      }
      default:
        return kpError(404, 'NOT_FOUND_ERR', 'no such action in the fake KMS');
    }
  }

  private registration(request: RecordedRequest, keyId: string, resourceCrn: string): FakeResponse {
    const key = this.keys.get(keyId);
    if (!key) return kpError(404, 'KEY_NOT_FOUND_ERR', 'Key does not exist');
    const id = `${keyId} ${resourceCrn}`;
    const input = ((request.body as { resources?: Record<string, unknown>[] } | undefined)?.resources?.[0] ?? {}) as Record<string, unknown>;
    const envelope = (status: number) => {
      const row = this.registrations.get(id);
      return {
        status,
        body: {
          metadata: { collectionType: 'application/vnd.ibm.kms.registration+json', collectionTotal: 1 },
          resources: [{ keyId, resourceCrn, preventKeyDeletion: row?.preventKeyDeletion ?? false, keyVersion: { id: row?.keyVersionId } }],
        },
      };
    };
    switch (request.method) {
      case 'POST':
        this.registrations.set(id, { keyId, resourceCrn, preventKeyDeletion: input['preventKeyDeletion'] === true, keyVersionId: this.latestVersionId(keyId) });
        return envelope(201);
      case 'PATCH': {
        const row = this.registrations.get(id);
        if (!row) return kpError(404, 'NOT_FOUND_ERR', 'no such registration');
        if (typeof input['keyVersionId'] === 'string') row.keyVersionId = input['keyVersionId'];
        return envelope(200);
      }
      case 'DELETE':
        if (!this.registrations.delete(id)) return kpError(404, 'NOT_FOUND_ERR', 'no such registration');
        return { status: 204 };
      default:
        return kpError(405, 'METHOD_NOT_ALLOWED_ERR', 'not allowed');
    }
  }

  private seal(keyId: string, version: number, dek: Buffer, aad: string[]): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(keyId).versions[version]?.material as Buffer, iv);
    cipher.setAAD(Buffer.from(JSON.stringify(aad)));
    const ct = Buffer.concat([cipher.update(dek), cipher.final()]);
    return Buffer.from(JSON.stringify({ k: keyId, v: version, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') })).toString('base64');
  }

  private open(keyId: string, ciphertext: string, aad: string[]): { dek: Buffer; version: number } | undefined {
    try {
      const parsed = JSON.parse(Buffer.from(ciphertext, 'base64').toString('utf8')) as { k: string; v: number; iv: string; ct: string; tag: string };
      if (parsed.k !== keyId) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', this.key(keyId).versions[parsed.v]?.material as Buffer, Buffer.from(parsed.iv, 'base64'));
      decipher.setAAD(Buffer.from(JSON.stringify(aad)));
      decipher.setAuthTag(Buffer.from(parsed.tag, 'base64'));
      return { dek: Buffer.concat([decipher.update(Buffer.from(parsed.ct, 'base64')), decipher.final()]), version: parsed.v };
    } catch {
      return undefined;
    }
  }
}

export function kpError(status: number, code: string, message: string): FakeResponse {
  return {
    status,
    body: {
      metadata: { collectionType: 'application/vnd.ibm.kms.error+json', collectionTotal: 1 },
      resources: [{ errorMsg: message, reasons: [{ code, message, status }] }],
    },
  };
}

function decodeUntilStable(value: string): string {
  let current = value;
  for (let i = 0; i < 5; i++) {
    const next = decodeURIComponent(current);
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** A token source whose tokens are numbered, recording invalidations (the platform's provider is tested on its own). */
export function countingTokens(): { get(): Promise<string>; invalidate(): void; issued: () => number } {
  let issued = 0;
  let current: string | undefined;
  return {
    get: () => {
      if (!current) {
        issued += 1;
        current = `token-${issued}`;
      }
      return Promise.resolve(current);
    },
    invalidate: () => {
      current = undefined;
    },
    issued: () => issued,
  };
}
