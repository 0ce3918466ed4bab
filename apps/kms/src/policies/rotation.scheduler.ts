import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@keyward/platform';
import { Clock } from '../common/clock';
import { PeriodicPass } from '../common/periodic-pass';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { KeyActionsService } from '../key-actions/key-actions.service';
import { KeysRepository } from '../keys/keys.repository';
import { KeyPoliciesRepository } from './key-policies.repository';

const PAGE = 100;

/**
 * Executes rotation policies (KEY-PROTECT-API.md §3): every pass rotates the active generated root
 * keys whose key (or, without one, instance) rotation policy says they are due, through the same
 * rotation path as `POST /actions/rotate`. One replica at a time (a Postgres advisory lock).
 * Imported keys are left alone: only their owner can supply new material.
 */
@Injectable()
export class RotationScheduler implements OnModuleInit, OnApplicationShutdown {
  private readonly passes: PeriodicPass<number>;

  constructor(
    private readonly policies: KeyPoliciesRepository,
    private readonly keys: KeysRepository,
    private readonly actions: KeyActionsService,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.passes = new PeriodicPass('rotation policy', () => this.pass(), 0, logger);
  }

  onModuleInit(): void {
    this.passes.start(this.settings.schedulerIntervalMs);
  }

  onApplicationShutdown(): Promise<void> {
    return this.passes.stop();
  }

  /** One pass; answers how many keys it rotated. Tests call it directly after moving the clock. */
  runOnce(): Promise<number> {
    return this.passes.runOnce();
  }

  private async pass(): Promise<number> {
    let rotated = 0;
    await this.keys.withAdvisoryLock('keyward.kms.rotation-policy', async () => {
      for (const due of await this.policies.dueForRotation(this.clock.now(), PAGE)) {
        const key = await this.keys.find(due.instanceGuid, due.id);
        if (!key) continue;
        try {
          await this.actions.rotateKey(key);
          rotated += 1;
          this.logger.info({ keyId: key.id }, 'key rotated by its rotation policy');
        } catch (error) {
          // One key's failure (a sealed domain, a manual rotation a moment ago) must not stop the others.
          this.logger.warn({ err: error, keyId: key.id }, 'rotation policy could not rotate the key; the next pass retries');
        }
      }
    });
    return rotated;
  }
}
