import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { HEADERS } from '@keyward/contracts';
import { requestContext } from '../logging/request-context';
import type { MetricsService } from '../metrics/metrics.service';

const QUIET_ROUTES = new Set(['/health', '/health/live', '/metrics']);

/**
 * Every HTTP request runs in a request context (its id from x-request-id, echoed back), and ends
 * with one access-log line and one histogram sample. Headers and bodies are never logged.
 */
export function installHttpHooks(fastify: FastifyInstance, logger: Logger, metrics: MetricsService): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(HEADERS.requestId, request.id);
    requestContext.run({ requestId: request.id }, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    const line = { requestId: request.id, method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (QUIET_ROUTES.has(route)) logger.debug(line, 'request completed');
    else logger.info(line, 'request completed');
    done();
  });
}
