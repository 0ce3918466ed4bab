import { Injectable } from '@nestjs/common';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The app's Prometheus registry (one per app instance, not prom-client's global one, so several apps
 * can run in one test process). Labels are bounded: route templates and subjects, never raw URLs or ids.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'keyward_http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly rpcServerDuration = new Histogram({
    name: 'keyward_rpc_server_duration_seconds',
    help: 'Time spent answering a NATS request, by subject and outcome',
    labelNames: ['subject', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  readonly rpcClientDuration = new Histogram({
    name: 'keyward_rpc_client_duration_seconds',
    help: 'Round trip of a NATS request made by this app, by subject and outcome (an error code or ok)',
    labelNames: ['subject', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor(app: string) {
    this.registry.setDefaultLabels({ service: app });
    collectDefaultMetrics({ register: this.registry, prefix: 'keyward_' });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
