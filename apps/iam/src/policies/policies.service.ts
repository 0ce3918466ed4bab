import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { AuditWriter } from '../audit/audit-writer';
import { AuthzService } from '../authz/authz.service';
import { IAM_SERVICE, isAllowed, requireAllowed } from '../common/caller-checks';
import { Clock } from '../common/clock';
import { IamEventsPublisher } from '../events/iam-events.publisher';
import { IdentityRepository } from '../identity/identity.repository';
import { type NewPolicy, PoliciesRepository } from './policies.repository';
import { type PolicySpec, type RawPolicy, accountOf, delegatedSpecs, validatePolicy } from './policy-spec';
import type { StoredPolicy } from './policy-wire';
import { etagOf } from './policy-wire';

/**
 * Policy administration: validate, check the caller may administer the target account, write the
 * policy with its delegated children in one transaction, then audit and publish the change.
 */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly repository: PoliciesRepository,
    private readonly identities: IdentityRepository,
    private readonly authz: AuthzService,
    private readonly audit: AuditWriter,
    private readonly events: IamEventsPublisher,
    private readonly clock: Clock,
  ) {}

  async create(caller: AuthenticatedCaller, raw: RawPolicy): Promise<StoredPolicy> {
    const spec = validatePolicy(raw);
    const accountId = accountOf(spec);
    await requireAllowed(this.authz, caller, 'iam.policy.create', { serviceName: IAM_SERVICE, accountId });
    await this.checkReferences(spec, accountId);
    const at = this.clock.now();
    const parent = this.newPolicy(spec, accountId, caller, at);
    const children = delegatedSpecs(spec).map((child) => ({ ...this.newPolicy(child, accountId, caller, at), parentId: parent.id }));
    const [created, ...createdChildren] = await this.repository.create(parent, children);
    for (const policy of [created, ...createdChildren] as StoredPolicy[]) await this.changed(policy, 'created', caller);
    return created as StoredPolicy;
  }

  async get(caller: AuthenticatedCaller, id: string): Promise<StoredPolicy> {
    const policy = await this.repository.findById(id);
    // Not found and not allowed to see look the same.
    if (!policy || policy.state !== 'active' || !(await isAllowed(this.authz, caller, 'iam.policy.read', { serviceName: IAM_SERVICE, accountId: policy.accountId }))) {
      throw new DomainError('POLICY_NOT_FOUND_ERR');
    }
    return policy;
  }

  async list(caller: AuthenticatedCaller, query: { accountId: string; type?: string; state?: string }): Promise<StoredPolicy[]> {
    await requireAllowed(this.authz, caller, 'iam.policy.read', { serviceName: IAM_SERVICE, accountId: query.accountId });
    return this.repository.list(query);
  }

  async update(caller: AuthenticatedCaller, id: string, ifMatch: string | undefined, raw: RawPolicy): Promise<StoredPolicy> {
    if (!ifMatch) throw new DomainError('PRECONDITION_REQUIRED_ERR');
    const current = await this.get(caller, id);
    const spec = validatePolicy(raw);
    const accountId = accountOf(spec);
    if (accountId !== current.accountId) throw new DomainError('INVALID_POLICY_ERR', 'A policy cannot move to another account', { target: { type: 'field', name: 'resource.accountId' } });
    if (current.parentId) throw new DomainError('CONFLICT_ERR', `This policy was created by delegation: change policy ${current.parentId} instead`);
    await requireAllowed(this.authz, caller, 'iam.policy.update', { serviceName: IAM_SERVICE, accountId });
    if (ifMatch !== '*' && ifMatch !== etagOf(current)) throw new DomainError('POLICY_PRECONDITION_ERR');
    await this.checkReferences(spec, accountId);
    const at = this.clock.now();
    const change = this.newPolicy(spec, accountId, caller, at);
    const children = delegatedSpecs(spec).map((child) => ({ ...this.newPolicy(child, accountId, caller, at), parentId: id }));
    const result = await this.repository.update(id, current.version, change, children);
    if (!result) throw new DomainError('POLICY_PRECONDITION_ERR');
    await this.changed(result.updated, 'updated', caller);
    for (const childId of result.removedChildren) await this.changedById(childId, accountId, current.type, 'deleted', caller, result.updated.version);
    for (const child of result.addedChildren) await this.changed(child, 'created', caller);
    return result.updated;
  }

  async delete(caller: AuthenticatedCaller, id: string): Promise<void> {
    const current = await this.get(caller, id);
    if (current.parentId) throw new DomainError('CONFLICT_ERR', `This policy was created by delegation: delete policy ${current.parentId} instead`);
    await requireAllowed(this.authz, caller, 'iam.policy.delete', { serviceName: IAM_SERVICE, accountId: current.accountId });
    const deleted = await this.repository.delete(id, caller.principal.iamId, this.clock.now());
    if (deleted.length === 0) throw new DomainError('POLICY_NOT_FOUND_ERR');
    for (const deletedId of deleted) await this.changedById(deletedId, current.accountId, current.type, 'deleted', caller, current.version + 1);
  }

  private newPolicy(spec: PolicySpec, accountId: string, caller: AuthenticatedCaller, at: Date): NewPolicy {
    return {
      id: randomUUID(),
      accountId,
      type: spec.type,
      ...(spec.description ? { description: spec.description } : {}),
      subject: spec.subject,
      resource: spec.resource,
      roles: spec.roles,
      delegate: spec.delegate,
      actorId: caller.principal.iamId,
      at,
    };
  }

  /** An access policy's identity must exist; it may belong to another account (an invited user). */
  private async checkReferences(spec: PolicySpec, _accountId: string): Promise<void> {
    if (spec.type !== 'access') return;
    const iamId = spec.subject.find((a) => a.name === 'iam_id')?.value;
    if (!iamId || !(await this.identities.findIdentity(iamId))) {
      throw new DomainError('INVALID_POLICY_ERR', 'The subject iam_id names no identity IAM knows', { target: { type: 'field', name: 'subject.iam_id' } });
    }
  }

  private async changed(policy: StoredPolicy, change: 'created' | 'updated' | 'deleted', caller: AuthenticatedCaller): Promise<void> {
    this.authz.policiesChanged(policy.accountId);
    this.audit.record({
      at: this.clock.now(),
      kind: 'policy.change',
      accountId: policy.accountId,
      actorId: caller.principal.iamId,
      outcome: change,
      detail: { policyId: policy.id, type: policy.type, subject: policy.subject, resource: policy.resource, roles: policy.roles.map((r) => r.role), ...(policy.parentId ? { delegatedFrom: policy.parentId } : {}) },
    });
    await this.events.policyChanged({ policyId: policy.id, type: policy.type, change, accountId: policy.accountId }, policy.version);
  }

  private async changedById(id: string, accountId: string, type: 'access' | 'authorization', change: 'deleted', caller: AuthenticatedCaller, version: number): Promise<void> {
    this.authz.policiesChanged(accountId);
    this.audit.record({ at: this.clock.now(), kind: 'policy.change', accountId, actorId: caller.principal.iamId, outcome: change, detail: { policyId: id, type } });
    await this.events.policyChanged({ policyId: id, type, change, accountId }, version);
  }
}
