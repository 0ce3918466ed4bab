import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@keyward/platform';
import { IAM_CONFIG, type IamConfig } from '../config/iam.config';
import { type AuditEntry, AuditRepository } from './audit.repository';

const MAX_BATCH = 500;
/** Past this many queued entries (a database outage), new ones are counted and dropped, not kept. */
const MAX_QUEUE = 50_000;

/**
 * Audit records are queued in memory and written in batches off the request path, every
 * KEYWARD_IAM_AUDIT_FLUSH_MS (200 ms by default) and at shutdown. A crash loses at most the entries
 * of the last interval (docs/IAM.md). Entries never hold a token, API key or secret.
 */
@Injectable()
export class AuditWriter implements OnApplicationShutdown {
  private queue: AuditEntry[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private dropped = 0;

  constructor(
    private readonly repository: AuditRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(IAM_CONFIG) private readonly config: IamConfig,
  ) {}

  record(entry: AuditEntry): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.dropped++;
      return;
    }
    this.queue.push(entry);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.config.auditFlushMs);
  }

  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.flushing = this.repository
      .insertMany(batch)
      .catch((error: unknown) => {
        // Put them back for the next flush; the log says how many, never what.
        this.queue.unshift(...batch);
        this.logger.error({ err: error, pending: this.queue.length }, 'audit batch not written; will retry');
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          void this.flush();
        }, Math.max(this.config.auditFlushMs, 1000));
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
    if (this.queue.length > 0 && !this.timer) await this.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.dropped) this.logger.error({ dropped: this.dropped }, 'audit entries dropped while the database was unavailable');
  }
}
