import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { HEADERS, type StreamSpec } from '@keyward/contracts';
import type { ServiceConfig } from '../config/service-config';
import { type HttpErrorFormat } from '../errors/http-error-formats';
import { TransportErrorFilter } from '../errors/transport-error.filter';
import { createLogger } from '../logging/create-logger';
import { PinoNestLogger } from '../logging/pino-nest-logger';
import { acceptOrCreateRequestId } from '../logging/request-context';
import { MetricsService } from '../metrics/metrics.service';
import { ensureStreams } from '../nats/jetstream-streams';
import { KeywardNatsServer } from '../nats/keyward-nats.server';
import { NatsConnectionHolder } from '../nats/nats-connection';
import { natsConnectionOptions } from '../nats/nats-connection-options';
import { RpcClient } from '../nats/rpc-client';
import { RpcContextInterceptor } from '../nats/rpc-context.interceptor';
import { SubjectNamespace } from '../nats/subject-namespace';
import { installHttpHooks } from './http-hooks';
import { PlatformModule } from './platform.module';

export interface ServiceDefinition {
  config: ServiceConfig;
  /** The app's feature modules (PlatformModule is added for them). */
  imports: (Type | DynamicModule)[];
  errorFormat: HttpErrorFormat;
  /** Queue group of the app's `rpc.*` handlers; omit for an app that answers no requests. */
  rpcQueue?: string;
  /** JetStream streams this app publishes to, created or updated at start. */
  streams?: readonly StreamSpec[];
  /** Tests pass a logger that captures output. */
  logger?: Logger;
}

export interface RunningService {
  app: NestFastifyApplication;
  url: string;
  logger: Logger;
  close(): Promise<void>;
}

/** Builds, wires and starts one Keyward app: HTTP on Fastify, NATS handlers, streams. */
export async function startService(definition: ServiceDefinition): Promise<RunningService> {
  const { config } = definition;
  const logger = definition.logger ?? createLogger({ app: config.app, replicaId: config.replicaId, level: config.logLevel });

  class KeywardServiceRoot {}
  const root: DynamicModule = {
    module: KeywardServiceRoot,
    imports: [PlatformModule.forRoot(config, logger), ...definition.imports],
  };

  const tls = config.http.tls;
  const adapter = new FastifyAdapter({
    ...(tls ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => acceptOrCreateRequestId(request.headers[HEADERS.requestId]),
    bodyLimit: 1024 * 1024,
    // Path parameters may be URL-encoded CRNs (Key Protect registrations encode them, sometimes twice):
    // Fastify's default of 100 characters would answer 414.
    routerOptions: { maxParamLength: 2048 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  installHttpHooks(app.getHttpAdapter().getInstance(), logger, app.get(MetricsService));
  app.useGlobalFilters(new TransportErrorFilter(definition.errorFormat, logger));
  app.useGlobalInterceptors(app.get(RpcContextInterceptor));

  const nats = app.get(NatsConnectionHolder);
  const connection = await nats.open();
  await app.get(RpcClient).connect();
  if (definition.streams?.length) {
    await ensureStreams(connection, app.get(SubjectNamespace), definition.streams, config.nats.streamStorage);
  }

  if (definition.rpcQueue) {
    app.connectMicroservice<MicroserviceOptions>(
      {
        strategy: new KeywardNatsServer(
          { ...natsConnectionOptions(config, 'rpc-server'), queue: definition.rpcQueue },
          app.get(SubjectNamespace),
        ),
      },
      // A hybrid microservice cannot take global filters of its own: it inherits the app's.
      { inheritAppConfig: true },
    );
  }

  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.startAllMicroservices();
  await app.listen(config.http.port, config.http.host);
  const url = await appUrl(app, config);
  logger.info({ url }, `${config.app} listening`);
  return { app, url, logger, close: () => closeApp(app, logger) };
}

async function appUrl(app: INestApplication, config: ServiceConfig): Promise<string> {
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  return `${config.http.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function closeApp(app: INestApplication, logger: Logger): Promise<void> {
  await app.close();
  logger.flush?.();
}
