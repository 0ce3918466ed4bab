import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DomainError, HEADERS } from '@keyward/contracts';
import { httpErrorOf } from '@keyward/platform';
import type { KmsRequest } from '../access/kms-request';
import { AuditWriter } from '../audit/audit.writer';
import { Clock } from './clock';

/** Batch requests may carry up to 4 MB (KEY-PROTECT-API.md §10); everything else is far smaller. */
export const KMS_BODY_LIMIT = 4 * 1024 * 1024 + 64 * 1024;

/**
 * The KMS's HTTP edge, as the official clients need it (KEY-PROTECT-API.md §1): bodies are JSON
 * whatever the Content-Type (the Go client sends none, the Node client vendor types), an empty body
 * or `null` means no body; `Correlation-Id` is echoed; every call leaves an audit record.
 */
@Injectable()
export class KmsHttp implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly audit: AuditWriter,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: KMS_BODY_LIMIT }, (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(new DomainError('BAD_BODY_ERR', 'The request body is not valid JSON'), undefined);
      }
    });
    fastify.addHook('onRequest', (request, reply, done) => {
      const given = request.headers[HEADERS.correlationId];
      const correlationId = (Array.isArray(given) ? given[0] : given)?.slice(0, 128) || randomUUID();
      void reply.header(HEADERS.correlationId, correlationId);
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      const kmsRequest = request as KmsRequest;
      if (request.url.startsWith('/api/v2/') || request.url.startsWith('/crypto_v1/')) {
        const caller = kmsRequest.keywardCaller;
        const sourceCrn = request.headers[HEADERS.sourceCrn];
        this.audit.record({
          at: this.clock.now(),
          instanceGuid: kmsRequest.kmsInstance?.guid ?? null,
          keyId: auditText(kmsRequest.kmsAudit?.keyId, 64),
          action: auditText(kmsRequest.kmsAudit?.action, 40) ?? `${request.method} ${request.routeOptions?.url ?? 'unmatched'}`,
          outcome: reply.statusCode < 400 ? 'success' : 'failure',
          status: reply.statusCode,
          // The code the caller read in the error envelope (never its message: it may quote input).
          errorCode: reply.statusCode >= 400 ? (httpErrorOf(request)?.code ?? null) : null,
          iamId: caller?.principal.iamId ?? null,
          sourceCrn: caller && typeof sourceCrn === 'string' ? auditText(sourceCrn, 512) : null,
          correlationId: String(reply.getHeader(HEADERS.correlationId) ?? '') || null,
        });
      }
      done();
    });
  }
}

/**
 * Caller-given text for an audit column: control characters shown as `?` (a NUL, which a path may
 * carry as %00, would make Postgres refuse the whole batch, and the writer would retry it forever), then cut.
 */
function auditText(value: string | undefined, max: number): string | null {
  if (value === undefined) return null;
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, max) || null;
}
