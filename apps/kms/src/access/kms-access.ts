import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { AUTHZ_DECIDER, type AuthenticatedCaller, type AuthzDecider } from '@keyward/platform';
import type { KmsInstance } from '../instances/instance.repository';

/** The Key Protect action names of §7, without the service prefix (`kms.` or `hs-crypto.`). */
export type KmsAction =
  | 'secrets.create'
  | 'secrets.import'
  | 'secrets.list'
  | 'secrets.head'
  | 'secrets.read'
  | 'secrets.readmetadata'
  | 'secrets.listversions'
  | 'secrets.wrap'
  | 'secrets.unwrap'
  | 'secrets.rewrap'
  | 'secrets.rotate'
  | 'secrets.disable'
  | 'secrets.enable'
  | 'secrets.delete'
  | 'secrets.restore'
  | 'secrets.purge'
  | 'importtoken.create'
  | 'importtoken.read'
  | 'secrets.setkeyfordeletion'
  | 'secrets.unsetkeyfordeletion'
  | 'policies.read'
  | 'policies.write'
  | 'instancepolicies.read'
  | 'instancepolicies.write'
  | 'secrets.patch'
  | 'secrets.createalias'
  | 'secrets.deletealias'
  | 'keyrings.list'
  | 'keyrings.create'
  | 'keyrings.delete'
  | 'secrets.sync'
  | 'secrets-event.ack'
  | 'registrations.list'
  | 'registrations.create'
  | 'registrations.update'
  | 'registrations.delete'
  | 'domain.status'
  | 'domain.ceremony-init'
  | 'domain.unseal'
  | 'domain.seal'
  | 'domain.rotate-master-key';

/**
 * The attributes of the key an action is about (KEY-PROTECT-API.md §7). Without `id`: keys of that
 * ring (creating a key in it, listing it), so a policy scoped to the ring allows them.
 */
export interface KeyAttributes {
  id?: string;
  keyRingId: string;
}

/**
 * Asks IAM whether the caller may do `action` on the instance (and key): deny → 401 UNAUTHORIZED_ERR,
 * as Key Protect answers for forbidden and invisible alike.
 */
@Injectable()
export class KmsAccess {
  constructor(@Inject(AUTHZ_DECIDER) private readonly decider: AuthzDecider) {}

  async require(caller: AuthenticatedCaller, instance: KmsInstance, action: KmsAction, key?: KeyAttributes): Promise<void> {
    if (!(await this.allows(caller, instance, action, key))) throw new DomainError('UNAUTHORIZED_ERR');
  }

  async allows(caller: AuthenticatedCaller, instance: KmsInstance, action: KmsAction, key?: KeyAttributes): Promise<boolean> {
    const decision = await this.decider.check({
      subject: caller.subject,
      action: `${instance.service}.${action}`,
      resource: {
        serviceName: instance.service,
        accountId: instance.accountId,
        serviceInstance: instance.guid,
        ...(key ? { resourceType: 'key', ...(key.id ? { resource: key.id } : {}), keyRing: key.keyRingId } : {}),
      },
    });
    return decision.decision === 'allow';
  }
}
