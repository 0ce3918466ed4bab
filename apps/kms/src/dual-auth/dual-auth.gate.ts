import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { Clock } from '../common/clock';
import type { KmsInstance } from '../instances/instance.repository';
import { type DualAuthFacts, dualAuthRequired } from './dual-auth-view';
import { DualAuthRepository } from './dual-auth.repository';

/**
 * The delete side of dual authorization (KEY-PROTECT-API.md §4): a key under a dualAuthDelete policy
 * (its own or its instance's) is deleted only after a `setKeyForDeletion` that has not expired, by
 * someone other than the deleting caller.
 */
@Injectable()
export class DualAuthGate {
  constructor(
    private readonly authorizations: DualAuthRepository,
    private readonly clock: Clock,
  ) {}

  requireForDelete(caller: AuthenticatedCaller, instance: KmsInstance, key: DualAuthFacts & { deletionAuthorization?: { authorizedBy: string; expiresAt: Date } | null }): void {
    if (!dualAuthRequired(key, instance)) return;
    const authorization = key.deletionAuthorization;
    if (!authorization || authorization.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new DomainError('AUTHORIZATIONS_NOT_MET', '1 prior authorization(s) are required for deletion: another user must first set the key for deletion');
    }
    if (authorization.authorizedBy === caller.principal.iamId) {
      throw new DomainError('AUTHORIZATIONS_NOT_MET', '1 prior authorization(s) are required for deletion: the user who set the key for deletion cannot also delete it');
    }
  }

  consume(keyId: string): Promise<void> {
    return this.authorizations.clear(keyId);
  }
}
