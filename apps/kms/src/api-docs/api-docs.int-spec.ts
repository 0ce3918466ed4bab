import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { repoRoot } from '@keyward/testing';
import { type KmsSuite, call, startKmsSuite } from '../testing/kms-suite';
import { KMS_ROUTES } from './openapi.document';

describe('the OpenAPI document at /api/docs', () => {
  let s: KmsSuite;

  beforeAll(async () => {
    s = await startKmsSuite();
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  it('is served without a token and equals the checked-in docs/kms-openapi.json', async () => {
    const response = await call(s.kms.url, undefined, 'GET', '/api/docs');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(JSON.parse(readFileSync(join(repoRoot(), 'docs', 'kms-openapi.json'), 'utf8')));
    expect(response.body.openapi).toBe('3.0.3');
  });

  it('documents only routes the KMS serves', () => {
    const fastify = s.kms.app.getHttpAdapter().getInstance() as FastifyInstance;
    // The key actions share one route (`/actions/:action`); the document lists each action.
    const servedAs = (path: string) => path.replace(/\{(\w+)\}/g, ':$1').replace(/\/actions\/\w+$/, '/actions/:action');
    for (const route of KMS_ROUTES) {
      const url = servedAs(route.path);
      expect({ route: `${route.method} ${url}`, served: fastify.hasRoute({ method: route.method.toUpperCase() as 'GET', url }) }).toEqual({ route: `${route.method} ${url}`, served: true });
    }
  });
});
