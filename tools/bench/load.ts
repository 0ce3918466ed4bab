import autocannon, { type Request } from 'autocannon';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** One body for every request, or one per request (rotated), e.g. many keys or ciphertexts. */
  body?: string;
  bodies?: readonly string[];
}

export interface LoadResult {
  connections: number;
  durationSec: number;
  requests: number;
  opsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Transport errors, timeouts and non-2xx answers. */
  errors: number;
}

/** Drives `url` with autocannon for `durationSec` at `connections` in-flight requests. */
export async function runLoad(url: string, request: LoadRequest, options: { connections: number; durationSec: number }): Promise<LoadResult> {
  const bodies = request.bodies ?? (request.body === undefined ? undefined : [request.body]);
  let next = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    pipelining: 1,
    duration: options.durationSec,
    method: request.method,
    headers: request.headers ?? {},
    requests: [
      {
        method: request.method,
        path: request.path,
        ...(bodies ? { setupRequest: (req: Request): Request => ({ ...req, body: bodies[next++ % bodies.length] }) } : {}),
      },
    ],
  });
  return {
    connections: options.connections,
    durationSec: options.durationSec,
    requests: result.requests.total,
    opsPerSec: result.requests.total / options.durationSec,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
    errors: result.errors + result.timeouts + result.non2xx,
  };
}
