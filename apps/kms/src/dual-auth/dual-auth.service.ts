import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { Clock } from '../common/clock';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import type { KmsInstance } from '../instances/instance.repository';
import { objectBody } from '../keys/key-input';
import { KEY_STATE } from '../keys/key-view';
import { KeysService } from '../keys/keys.service';
import { dualAuthRequired } from './dual-auth-view';
import { DualAuthRepository } from './dual-auth.repository';

/** `setKeyForDeletion` / `unsetKeyForDeletion` (KEY-PROTECT-API.md §2, §4). */
@Injectable()
export class DualAuthService {
  constructor(
    private readonly keys: KeysService,
    private readonly authorizations: DualAuthRepository,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
  ) {}

  /** The first of the two authorizations; it lasts KEYWARD_KMS_DUAL_AUTH_EXPIRY_MS (7 days). Setting it again renews it. */
  async setForDeletion(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown): Promise<void> {
    objectBody(body, { required: false });
    const key = await this.keys.authorizedKey(caller, instance, id, 'secrets.setkeyfordeletion');
    if (key.state === KEY_STATE.destroyed) throw new DomainError('KEY_ACTION_INVALID_STATE_ERR', 'A deleted key cannot be set for deletion');
    if (!dualAuthRequired(key, instance)) throw new DomainError('NOT_DUAL_AUTH_ERR');
    const now = this.clock.now();
    await this.authorizations.set(key.id, caller.principal.iamId, now, new Date(now.getTime() + this.settings.windows.dualAuthExpiryMs));
  }

  /** Withdraws a pending authorization (a no-op when there is none). */
  async unsetForDeletion(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown): Promise<void> {
    objectBody(body, { required: false });
    const key = await this.keys.authorizedKey(caller, instance, id, 'secrets.unsetkeyfordeletion');
    if (key.state === KEY_STATE.destroyed) throw new DomainError('KEY_ACTION_INVALID_STATE_ERR', 'The key is deleted');
    if (!dualAuthRequired(key, instance)) throw new DomainError('NOT_DUAL_AUTH_ERR');
    await this.authorizations.clear(key.id);
  }
}
