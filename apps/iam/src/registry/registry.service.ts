import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN, DomainError, REGIONS, SERVICE_KEY_OWNER_PARAMETER, SERVICE_NAMES, type ServiceInstance, instanceCrn, mayActFor, parseCrn } from '@keyward/contracts';
import { type AuthenticatedCaller, parsePayload } from '@keyward/platform';
import { AuthzService } from '../authz/authz.service';
import { isAllowed, requireAllowed } from '../common/caller-checks';
import { Clock } from '../common/clock';
import { IamEventsPublisher } from '../events/iam-events.publisher';
import { IdentityRepository } from '../identity/identity.repository';
import { RegistryRepository } from './registry.repository';

/** Services that have instances (hyperp-dbaas-backup acts only through delegation). */
const INSTANCE_SERVICES = SERVICE_NAMES.filter((name) => name !== 'hyperp-dbaas-backup' && name !== 'schematics');

export const createInstanceBody = z
  .object({
    name: z.string().trim().min(1).max(180),
    service: z.enum(INSTANCE_SERVICES as [string, ...string[]], { message: `must be one of ${INSTANCE_SERVICES.join(', ')}` }),
    plan: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a plan name such as "standard"'),
    target: z.enum(REGIONS, { message: `must be one of ${REGIONS.join(', ')}` }),
    resource_group: z.string().regex(ACCOUNT_ID_PATTERN, 'must be a resource group id').optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    /** Keyward: a service creating an instance of its own service for a caller names the caller's account. */
    account_id: z.string().regex(ACCOUNT_ID_PATTERN, 'must be a 32-character account id').optional(),
  })
  .strict();

export const listInstancesQuery = z.object({
  service: z.string().max(64).optional(),
  target: z.string().max(64).optional(),
});

/**
 * The resource registry. Users need Editor (create, delete) or Viewer (read) on the service;
 * a Keyward service may manage instances of its own service in any account (the DBaaS creates one per
 * cluster for its caller). What a caller may not see is "not found".
 */
@Injectable()
export class RegistryService {
  constructor(
    private readonly repository: RegistryRepository,
    private readonly identities: IdentityRepository,
    private readonly authz: AuthzService,
    private readonly events: IamEventsPublisher,
    private readonly clock: Clock,
  ) {}

  async create(caller: AuthenticatedCaller, body: unknown): Promise<ServiceInstance> {
    const input = parsePayload(createInstanceBody, body);
    const ownService = caller.principal.serviceName !== undefined && mayActFor(caller.principal.serviceName, input.service);
    if (input.account_id && !ownService) {
      throw new DomainError('INVALID_FIELD_ERR', 'account_id may only be given by the service itself', { target: { type: 'field', name: 'account_id' } });
    }
    const accountId = input.account_id ?? caller.principal.accountId;
    if (!(await this.identities.findAccount(accountId))) throw new DomainError('ACCOUNT_NOT_FOUND_ERR');
    const group = input.resource_group ? await this.identities.findResourceGroup(input.resource_group) : await this.identities.findDefaultResourceGroup(accountId);
    if (!group || group.accountId !== accountId) throw new DomainError('RESOURCE_GROUP_NOT_FOUND_ERR', undefined, { target: { type: 'field', name: 'resource_group' } });
    if (!ownService) {
      await requireAllowed(this.authz, caller, 'resource-controller.instance.create', { serviceName: input.service, accountId, resourceGroupId: group.id });
    }
    const parameters = input.parameters ?? {};
    this.checkParameters(input.service, parameters);
    const guid = randomUUID();
    const instance = await this.repository.create({
      guid,
      crn: instanceCrn(input.service, input.target, accountId, guid),
      name: input.name,
      service: input.service,
      plan: input.plan,
      target: input.target,
      resourceGroupId: group.id,
      accountId,
      parameters,
      createdById: caller.principal.iamId,
      createdAt: this.clock.now(),
    });
    await this.events.instanceCreated(instance);
    return instance;
  }

  async list(caller: AuthenticatedCaller, query: unknown): Promise<ServiceInstance[]> {
    const q = parsePayload(listInstancesQuery, query, 'INVALID_QUERY_PARAM_ERR');
    const service = caller.principal.serviceName;
    if (service) {
      // A service sees the instances of the services it may act for, in every account.
      const own = SERVICE_NAMES.filter((name) => mayActFor(service, name));
      const services = q.service ? own.filter((name) => name === q.service) : own;
      if (services.length === 0) return [];
      return this.repository.list({ service: services, ...(q.target ? { target: q.target } : {}) });
    }
    const candidates = await this.repository.list({ accountId: caller.principal.accountId, ...(q.service ? { service: q.service } : {}), ...(q.target ? { target: q.target } : {}) });
    const decisions = await this.authz.checkBatch(
      candidates.map((instance) => ({
        subject: caller.subject,
        action: 'resource-controller.instance.read',
        resource: { serviceName: instance.service, accountId: instance.account_id, serviceInstance: instance.guid, resourceGroupId: instance.resource_group_id },
      })),
    );
    return candidates.filter((_instance, i) => decisions[i]?.decision === 'allow');
  }

  async get(caller: AuthenticatedCaller, guid: string): Promise<ServiceInstance> {
    const instance = await this.repository.findByGuid(guid);
    if (!instance || !(await this.mayDo(caller, instance, 'resource-controller.instance.read'))) throw new DomainError('INSTANCE_NOT_FOUND_ERR');
    return instance;
  }

  async delete(caller: AuthenticatedCaller, guid: string): Promise<void> {
    const instance = await this.get(caller, guid);
    if (!(await this.mayDo(caller, instance, 'resource-controller.instance.delete'))) throw new DomainError('UNAUTHORIZED_ERR');
    // A consumer service's own key instance holds the root key every default-keyed workspace or cluster
    // is wrapped by; IAM's next start would make an empty one and that data would be lost for good.
    const owner = instance.parameters?.[SERVICE_KEY_OWNER_PARAMETER];
    if (typeof owner === 'string') {
      throw new DomainError('CONFLICT_ERR', `This kms instance holds the ${owner} service's own default root key and cannot be deleted: its data would become unrecoverable`);
    }
    // A tombstone, not a hard delete: services can still learn that this CRN existed and was removed (docs/IAM.md).
    const removed = await this.repository.remove(guid, this.clock.now());
    if (!removed) throw new DomainError('INSTANCE_NOT_FOUND_ERR');
    this.authz.instanceDeleted(guid);
    await this.events.instanceDeleted(removed);
  }

  private async mayDo(caller: AuthenticatedCaller, instance: ServiceInstance, action: string): Promise<boolean> {
    if (caller.principal.serviceName && mayActFor(caller.principal.serviceName, instance.service)) return true;
    return isAllowed(this.authz, caller, action, {
      serviceName: instance.service,
      accountId: instance.account_id,
      serviceInstance: instance.guid,
      resourceGroupId: instance.resource_group_id,
    });
  }

  /** `hpcs_instance_crn` on a kms instance must name an hs-crypto instance CRN (DESIGN.md, seed 003). */
  private checkParameters(service: string, parameters: Record<string, unknown>): void {
    if (SERVICE_KEY_OWNER_PARAMETER in parameters) {
      // Reserved for IAM's bootstrap: a consumer trusts it to find its own key instance.
      throw new DomainError('INVALID_FIELD_ERR', `parameters.${SERVICE_KEY_OWNER_PARAMETER} is reserved for Keyward's own instances`, {
        target: { type: 'field', name: `parameters.${SERVICE_KEY_OWNER_PARAMETER}` },
      });
    }
    const hpcs = parameters['hpcs_instance_crn'];
    if (hpcs === undefined) return;
    const crn = typeof hpcs === 'string' ? parseCrn(hpcs) : undefined;
    if (service !== 'kms' || !crn || crn.service !== 'hs-crypto' || !crn.serviceInstance) {
      throw new DomainError('INVALID_FIELD_ERR', 'parameters.hpcs_instance_crn must be the CRN of an hs-crypto instance, on a kms instance', {
        target: { type: 'field', name: 'parameters.hpcs_instance_crn' },
      });
    }
  }
}
