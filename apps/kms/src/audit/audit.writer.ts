import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@keyward/platform';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { type AuditEntry, AuditRepository } from './audit.repository';

const BATCH = 500;
const MAX_QUEUED = 50_000;

/**
 * Audit records off the request path: queued in memory, written in batches every
 * KEYWARD_KMS_AUDIT_FLUSH_MS and at shutdown. A crash loses at most one interval; while the database
 * is down at most MAX_QUEUED records wait (further ones are counted and logged).
 */
@Injectable()
export class AuditWriter implements OnModuleInit, OnApplicationShutdown {
  private queue: AuditEntry[] = [];
  private dropped = 0;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly repository: AuditRepository,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.settings.auditFlushMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  record(entry: AuditEntry): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    this.queue.push(entry);
  }

  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.slice(0, BATCH);
      try {
        await this.repository.insert(batch);
        this.queue.splice(0, batch.length);
      } catch (error) {
        this.logger.warn({ err: error, queued: this.queue.length }, 'audit records not written yet; will retry');
        return;
      }
    }
    if (this.dropped) {
      this.logger.error({ dropped: this.dropped }, 'audit records dropped while the database was unavailable');
      this.dropped = 0;
    }
  }
}
