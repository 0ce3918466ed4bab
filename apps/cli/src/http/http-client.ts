import { randomUUID } from 'node:crypto';
import { HEADERS } from '@keyward/contracts';
import type { CliContext } from '../cli-context';
import { CliError, EXIT } from '../cli-error';
import { type ServiceError, parseErrorEnvelope } from './error-envelope';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Absolute path on the service, e.g. `/v2/resource_instances`. */
  path: string;
  query?: Record<string, string | undefined>;
  /** A JSON body. */
  json?: unknown;
  /** An `application/x-www-form-urlencoded` body (IAM's token endpoint). */
  form?: Record<string, string>;
  /** Extra headers, names in lower case (e.g. `bluemix-instance`, `content-type`). */
  headers?: Record<string, string>;
  /** The bearer token; never logged, never part of an error message. */
  token?: string;
}

export interface HttpResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  requestId: string;
}

/** A service answered with an error status: its envelope, parsed. */
export class ServiceRequestError extends Error {
  constructor(
    readonly service: string,
    readonly error: ServiceError,
  ) {
    super(`${error.message} (${error.code})`);
    this.name = 'ServiceRequestError';
  }
}

/**
 * The CLI's one door to the services: request ids, auth header, JSON or form bodies, timeouts, and
 * error envelopes turned into ServiceRequestError (answered) or CliError exit 5 (not reachable).
 * The `kp` and `hpcs` command groups use it as the IAM and resource commands do.
 */
export class HttpClient {
  constructor(private readonly context: CliContext) {}

  async send<T = unknown>(service: string, baseUrl: string, request: HttpRequest): Promise<HttpResponse<T>> {
    const url = new URL(baseUrl.replace(/\/+$/, '') + request.path);
    for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(name, value);
    const requestId = `keyward-cli-${randomUUID()}`;
    const headers: Record<string, string> = { accept: 'application/json', [HEADERS.requestId]: requestId, ...request.headers };
    let body: string | undefined;
    // A caller may name its own JSON media type (Key Protect's `application/vnd.ibm.kms.key+json`).
    if (request.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      body = new URLSearchParams(request.form).toString();
    }
    if (request.token) headers['authorization'] = `Bearer ${request.token}`;

    let response: Response;
    try {
      response = await this.context.fetch(url, { method: request.method, headers, body, signal: AbortSignal.timeout(this.context.apiTimeoutMs) });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new CliError(
        EXIT.unavailable,
        `Cannot reach ${service} at ${url.origin} (${reason})`,
        service === 'iam' ? 'Is Keyward running there? Check the URL (`keyward login --endpoint <IAM URL>`) and `keyward status`' : 'Is Keyward running? Check `keyward status`',
      );
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    const answeredId = response.headers.get(HEADERS.requestId) ?? requestId;
    if (response.status >= 400) throw new ServiceRequestError(service, parseErrorEnvelope(response.status, parsed, answeredId));
    if (text.length > 0 && parsed === undefined) {
      throw new CliError(EXIT.unavailable, `${service} answered ${response.status} with a body that is not JSON (request id ${answeredId})`);
    }
    return { status: response.status, body: parsed as T, headers: response.headers, requestId: answeredId };
  }
}
