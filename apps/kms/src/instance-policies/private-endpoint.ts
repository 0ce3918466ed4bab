import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Marks a raw request that arrived on the private port (set before Fastify sees it). */
const ARRIVED_PRIVATELY = Symbol.for('keyward.kms.privateEndpoint');

export function arrivedPrivately(raw: IncomingMessage): boolean {
  return (raw as IncomingMessage & { [ARRIVED_PRIVATELY]?: boolean })[ARRIVED_PRIVATELY] === true;
}

export interface PrivateEndpoint {
  url: string;
  /** The bound port (the OS chooses one when asked for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * The KMS's private endpoint (KEYWARD_KMS_PRIVATE_PORT): a second listener that hands every request
 * to the same Fastify router, marked as private, so `allowedNetwork: private-only` can refuse calls
 * that came in on the public port. Same host and TLS as the public listener: where it is reachable
 * from is the operator's network's business (docs/OPERATIONS.md).
 */
export async function listenPrivately(
  app: NestFastifyApplication,
  options: { host: string; port: number; tls?: { certFile: string; keyFile: string } },
): Promise<PrivateEndpoint> {
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    (request as IncomingMessage & { [ARRIVED_PRIVATELY]?: boolean })[ARRIVED_PRIVATELY] = true;
    fastify.routing(request, response);
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, handler)
    : createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    port,
    url: `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
