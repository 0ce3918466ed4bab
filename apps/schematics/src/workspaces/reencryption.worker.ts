import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@keyward/platform';
import { WorkspaceKeys } from '../encryption/workspace-keys';
import { KmsSettingsRepository } from '../kms-settings/kms-settings.repository';
import { WorkspaceRepository } from './workspace.repository';

/** Workspaces moved per location and pass. */
const BATCH = 20;

/**
 * After an account enables KMS settings for a location, moves the workspaces created there under
 * Schematics' own key to the settings' keys, in the background: the DEK is unwrapped once, wrapped by
 * the primary and secondary (registered for the workspace), stored if no other replica did it first,
 * and the old key's registration dropped. The DEK itself does not change, so the data stays as it is.
 * Progress is `GET /v2/settings/kms` → `reencryption`.
 */
@Injectable()
export class ReencryptionWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly settings: KmsSettingsRepository,
    private readonly workspaces: WorkspaceRepository,
    private readonly keys: WorkspaceKeys,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.pass()
        .catch((error: unknown) => this.logger.warn({ err: error instanceof Error ? error.name : 'error' }, 're-encryption pass failed; retrying later'))
        .finally(() => (this.running = undefined));
    }, 1000);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every location with settings (exposed for tests). */
  async pass(): Promise<void> {
    for (const setting of await this.settings.all()) {
      const pending = await this.workspaces.underDefaultKey(setting.accountId, setting.location, BATCH);
      for (const workspace of pending) {
        const keys = [
          { role: 'primary' as const, keyCrn: setting.primary.keyCrn, endpoint: setting.primary.endpoint },
          ...(setting.secondary ? [{ role: 'secondary' as const, keyCrn: setting.secondary.keyCrn, endpoint: setting.secondary.endpoint }] : []),
        ];
        // One workspace that cannot move now (its key unusable) must not hold up the others.
        const dek = await this.keys.open(workspace.dataKeys, workspace.crn).catch((error: unknown) => {
          this.logger.warn({ workspaceId: workspace.id, code: (error as { code?: string }).code }, 'workspace not re-encrypted yet: its data key cannot be opened');
          return undefined;
        });
        if (!dek) continue;
        try {
          const dataKeys = await this.keys.wrapWith(dek, keys, workspace.crn);
          if (await this.workspaces.switchToSettingsKeys(workspace.id, workspace.dataKeys, dataKeys)) {
            await this.keys.unregister(workspace.dataKeys, workspace.crn);
            this.logger.info({ workspaceId: workspace.id, location: setting.location }, 'workspace re-encrypted under the KMS settings keys');
          }
        } catch (error) {
          this.logger.warn({ workspaceId: workspace.id, code: (error as { code?: string }).code }, 'workspace not re-encrypted yet: the settings keys refused');
        } finally {
          dek.fill(0);
        }
      }
    }
  }
}
