import { Injectable } from '@nestjs/common';
import type { AuthzCheckRequest, AuthzCheckResponse } from '@keyward/contracts';
import type { AuthzDecider } from '@keyward/platform';
import { AuditWriter } from '../audit/audit-writer';
import { Clock } from '../common/clock';
import { PolicyEngine } from '../policies/policy-engine';
import { PoliciesRepository } from '../policies/policies.repository';
import { RegistryRepository } from '../registry/registry.repository';

/**
 * Decisions: fills in what the registry knows (an instance's resource group, on either side), loads
 * the target account's active policies and asks the engine. Every deny is audited.
 */
@Injectable()
export class AuthzService implements AuthzDecider {
  private readonly engine = new PolicyEngine();

  constructor(
    private readonly policies: PoliciesRepository,
    private readonly registry: RegistryRepository,
    private readonly audit: AuditWriter,
    private readonly clock: Clock,
  ) {}

  async check(request: AuthzCheckRequest): Promise<AuthzCheckResponse> {
    const enriched = await this.enrich(request);
    const policies = await this.policies.listActiveForDecision(enriched.resource.accountId);
    const response = this.engine.decide(policies, enriched);
    if (response.decision === 'deny') this.auditDeny(enriched);
    return response;
  }

  async checkBatch(requests: readonly AuthzCheckRequest[]): Promise<AuthzCheckResponse[]> {
    const byAccount = new Map<string, Awaited<ReturnType<PoliciesRepository['listActiveForDecision']>>>();
    const results: AuthzCheckResponse[] = [];
    for (const request of requests) {
      const enriched = await this.enrich(request);
      const account = enriched.resource.accountId;
      let policies = byAccount.get(account);
      if (!policies) {
        policies = await this.policies.listActiveForDecision(account);
        byAccount.set(account, policies);
      }
      const response = this.engine.decide(policies, enriched);
      if (response.decision === 'deny') this.auditDeny(enriched);
      results.push(response);
    }
    return results;
  }

  private async enrich(request: AuthzCheckRequest): Promise<AuthzCheckRequest> {
    const resource = { ...request.resource };
    const subject = { ...request.subject };
    if (resource.serviceInstance && !resource.resourceGroupId) {
      const instance = await this.registry.findByGuid(resource.serviceInstance);
      // Only an instance of the named service and account lends its group: no borrowing across accounts.
      if (instance && instance.account_id === resource.accountId && instance.service === resource.serviceName) {
        resource.resourceGroupId = instance.resource_group_id;
      }
    }
    if (subject.serviceInstance && !subject.resourceGroupId) {
      const instance = await this.registry.findByGuid(subject.serviceInstance);
      if (instance && instance.account_id === subject.accountId) subject.resourceGroupId = instance.resource_group_id;
    }
    return { ...request, subject, resource };
  }

  private auditDeny(request: AuthzCheckRequest): void {
    this.audit.record({
      at: this.clock.now(),
      kind: 'authz.decision',
      accountId: request.resource.accountId,
      ...(request.subject.iam_id ? { actorId: request.subject.iam_id } : {}),
      outcome: 'deny',
      detail: { subject: request.subject, action: request.action, resource: request.resource },
    });
  }
}
