import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type NatsConnection, connect } from 'nats';
import type { ServiceConfig } from '../config/service-config';
import { natsConnectionOptions } from './nats-connection-options';

/**
 * The app's own NATS connection for JetStream and health checks (Nest's server and client proxy keep
 * theirs). Opened at start, drained at shutdown.
 */
@Injectable()
export class NatsConnectionHolder implements OnApplicationShutdown {
  private connection?: NatsConnection;

  constructor(private readonly config: ServiceConfig) {}

  async open(): Promise<NatsConnection> {
    this.connection ??= await connect(natsConnectionOptions(this.config, 'core'));
    return this.connection;
  }

  get(): NatsConnection {
    if (!this.connection) throw new Error('NATS connection used before the app started');
    return this.connection;
  }

  async onApplicationShutdown(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection && !connection.isClosed()) await connection.drain().catch(() => undefined);
  }
}
