import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@keyward/platform';
import { ClustersRepository } from '../clusters/clusters.repository';
import { DBAAS_CONFIG, type DbaasConfig } from '../config/dbaas.config';
import { BackupWorker } from './backup-worker';
import { BackupsRepository } from './backups.repository';

const PAGE = 50;

/**
 * Scheduled backups: every cluster is backed up once per KEYWARD_DBAAS_BACKUP_INTERVAL_MS (counted
 * from its newest backup, or its creation). One replica at a time runs a pass (advisory lock); a
 * cluster whose backup fails is logged and tried again on the next pass.
 */
@Injectable()
export class BackupScheduler implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly backups: BackupsRepository,
    private readonly clusters: ClustersRepository,
    private readonly worker: BackupWorker,
    @Inject(DBAAS_CONFIG) private readonly config: DbaasConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // Check often enough for short intervals (tests), at most once a minute otherwise.
    this.timer = setInterval(() => void this.runOnce(), Math.min(this.config.backup.intervalMs, 60_000));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  runOnce(): Promise<void> {
    this.running ??= this.pass()
      .catch((error: unknown) => this.logger.warn({ code: (error as { code?: string }).code, message: (error as Error).message }, 'scheduled backup pass failed; the next one retries'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    await this.backups.withSchedulerLock(async () => {
      for (const id of await this.backups.dueForBackup(new Date(Date.now() - this.config.backup.intervalMs), PAGE)) {
        const cluster = await this.clusters.find(id);
        if (!cluster) continue;
        try {
          const backup = await this.worker.backUp(cluster);
          this.logger.info({ clusterId: id, backupId: backup.id }, 'scheduled backup taken');
        } catch (error) {
          this.logger.warn({ clusterId: id, code: (error as { code?: string }).code, message: (error as Error).message }, 'scheduled backup failed; the next pass retries');
        }
      }
    });
  }
}
