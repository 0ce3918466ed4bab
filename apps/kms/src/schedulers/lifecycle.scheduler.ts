import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@keyward/platform';
import { Clock } from '../common/clock';
import { PeriodicPass } from '../common/periodic-pass';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { KEY_STATE } from '../keys/key-view';
import { KeysRepository } from '../keys/keys.repository';
import { KeysService } from '../keys/keys.service';

const PAGE = 200;

/**
 * Time-driven transitions (KEY-PROTECT-API.md §4): active keys past `expirationDate` become
 * deactivated (3), deleted keys are purged KEYWARD_KMS_AUTO_PURGE_MS after deletion. One replica at a
 * time runs a pass (a Postgres advisory lock); every change is conditional on the state it read.
 */
@Injectable()
export class LifecycleScheduler implements OnModuleInit, OnApplicationShutdown {
  private readonly passes: PeriodicPass<void>;

  constructor(
    private readonly keys: KeysRepository,
    private readonly keysService: KeysService,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.passes = new PeriodicPass('key lifecycle', () => this.pass(), undefined, logger);
  }

  onModuleInit(): void {
    this.passes.start(this.settings.schedulerIntervalMs);
  }

  onApplicationShutdown(): Promise<void> {
    return this.passes.stop();
  }

  /** One pass; tests call it directly after moving the clock. */
  runOnce(): Promise<void> {
    return this.passes.runOnce();
  }

  private async pass(): Promise<void> {
    await this.keys.withAdvisoryLock('keyward.kms.lifecycle', async () => {
      const now = this.clock.now();
      for (const key of await this.keys.expiredActive(now, PAGE)) {
        await this.keys.updateIf(key.id, KEY_STATE.active, { state: KEY_STATE.deactivated, nonactiveStateReason: 1, lastUpdateDate: now });
      }
      const purgeBefore = new Date(now.getTime() - this.settings.windows.autoPurgeMs);
      for (const key of await this.keys.purgeDue(purgeBefore, PAGE)) {
        // One key's domain may be sealed (DOMAIN_SEALED_ERR): that key waits, the others are still purged.
        try {
          await this.keysService.destroy(key);
          this.logger.info({ keyId: key.id }, 'deleted key purged automatically');
        } catch (error) {
          this.logger.warn({ err: error, keyId: key.id, hsmDomainId: key.hsmDomainId }, 'automatic purge of a key failed; the next pass retries');
        }
      }
    });
  }
}
