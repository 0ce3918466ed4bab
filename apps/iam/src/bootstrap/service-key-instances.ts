import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  DomainError,
  SERVICE_KEY_INSTANCE_OWNERS,
  SERVICE_KEY_INSTANCE_REGION,
  type ServiceInstance,
  type ServiceKeyInstanceOwner,
  instanceCrn,
  serviceKeyInstanceName,
} from '@keyward/contracts';
import { LOGGER } from '@keyward/platform';
import { AuditWriter } from '../audit/audit-writer';
import { Clock } from '../common/clock';
import { IamEventsPublisher } from '../events/iam-events.publisher';
import { IdentityRepository } from '../identity/identity.repository';
import { PoliciesRepository } from '../policies/policies.repository';
import { BOOTSTRAP_ACTOR } from './bootstrap-actor';
import { ServiceKeyInstancesRepository } from './service-key-instances.repository';

/**
 * The one narrow exception to "service identities get no policies" (docs/IAM.md "Bootstrap"): each
 * consumer service that keeps a default root key of its own (SERVICE_KEY_INSTANCE_OWNERS) gets one
 * `kms` instance in the default account, marked with the reserved owner parameter, and access
 * policies naming its own service ID (and its dependents') on exactly that instance. A service still
 * cannot create instances of another service: IAM creates this one, once, for it.
 */
@Injectable()
export class ServiceKeyInstances {
  constructor(
    private readonly repository: ServiceKeyInstancesRepository,
    private readonly identities: IdentityRepository,
    private readonly policies: PoliciesRepository,
    private readonly clock: Clock,
    private readonly audit: AuditWriter,
    private readonly events: IamEventsPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ensureAll(accountId: string): Promise<ServiceInstance[]> {
    const group = await this.identities.findDefaultResourceGroup(accountId);
    if (!group) throw new Error('The default account has no Default resource group');
    const instances: ServiceInstance[] = [];
    for (const owner of Object.keys(SERVICE_KEY_INSTANCE_OWNERS) as ServiceKeyInstanceOwner[]) {
      instances.push(await this.ensure(accountId, group.id, owner));
    }
    return instances;
  }

  private async ensure(accountId: string, resourceGroupId: string, owner: ServiceKeyInstanceOwner): Promise<ServiceInstance> {
    const identity = await this.identities.findServiceIdentity(owner);
    if (!identity) throw new Error(`The service ID of ${owner} is missing`);
    const { instance, created } = await this.repository.ensure(accountId, owner, () => {
      const guid = randomUUID();
      return {
        guid,
        crn: instanceCrn('kms', SERVICE_KEY_INSTANCE_REGION, accountId, guid),
        name: serviceKeyInstanceName(owner),
        ownerService: owner,
        target: SERVICE_KEY_INSTANCE_REGION,
        accountId,
        resourceGroupId,
        createdById: identity.iamId,
        createdAt: this.clock.now(),
      };
    });
    if (created) {
      // Like any instance creation: the KMS sets the instance up on this event (or lazily on first use).
      await this.events.instanceCreated(instance);
      this.logger.info({ service: owner, instanceId: instance.guid }, 'service-owned kms instance created');
    }
    for (const grant of SERVICE_KEY_INSTANCE_OWNERS[owner]) {
      const grantee = grant.service === owner ? identity : await this.identities.findServiceIdentity(grant.service);
      if (!grantee) throw new Error(`The service ID of ${grant.service} is missing`);
      await this.grant(accountId, instance, grantee.iamId, grant.role);
    }
    return instance;
  }

  /** An access policy: the service ID → `role` on exactly the instance (written once; a racing replica's copy is a conflict). */
  private async grant(accountId: string, instance: ServiceInstance, iamId: string, role: string): Promise<void> {
    const existing = await this.policies.list({ accountId, type: 'access' });
    const covers = existing.some(
      (p) =>
        p.createdById === BOOTSTRAP_ACTOR &&
        p.subject.some((a) => a.name === 'iam_id' && a.value === iamId) &&
        p.resource.some((a) => a.name === 'serviceInstance' && a.value === instance.guid) &&
        p.roles.some((r) => r.role === role),
    );
    if (covers) return;
    const created = await this.policies
      .create(
        {
          id: randomUUID(),
          accountId,
          type: 'access',
          description: `Keyward: the service's own kms instance ${instance.name} (bootstrap)`,
          subject: [{ name: 'iam_id', value: iamId, operator: 'stringEquals' }],
          resource: [
            { name: 'accountId', value: accountId, operator: 'stringEquals' },
            { name: 'serviceName', value: 'kms', operator: 'stringEquals' },
            { name: 'serviceInstance', value: instance.guid, operator: 'stringEquals' },
          ],
          roles: [{ kind: 'service', role }],
          delegate: false,
          actorId: BOOTSTRAP_ACTOR,
          at: this.clock.now(),
        },
        [],
      )
      .catch((error: unknown) => {
        if (error instanceof DomainError && error.code === 'POLICY_CONFLICT_ERR') return [];
        throw error;
      });
    const policy = created[0];
    if (!policy) return;
    this.audit.record({
      at: this.clock.now(),
      kind: 'policy.change',
      accountId,
      actorId: BOOTSTRAP_ACTOR,
      outcome: 'created',
      detail: { policyId: policy.id, type: 'access', subject: policy.subject, resource: policy.resource, roles: policy.roles.map((r) => r.role) },
    });
    await this.events.policyChanged({ policyId: policy.id, type: 'access', change: 'created', accountId }, policy.version);
  }
}
