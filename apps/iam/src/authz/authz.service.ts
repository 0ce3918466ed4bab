import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'nats';
import { type AuthzCheckRequest, type AuthzCheckResponse, IAM_EVENT_SUBJECTS, type ServiceInstance } from '@keyward/contracts';
import { type AuthzDecider, NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';
import { AuditWriter } from '../audit/audit-writer';
import { Clock } from '../common/clock';
import { PolicyEngine } from '../policies/policy-engine';
import { PoliciesRepository } from '../policies/policies.repository';
import { RegistryRepository } from '../registry/registry.repository';
import { TtlCache } from './ttl-cache';

/** How stale a cached policy set or instance may be if its change event is lost. */
const CACHE_TTL_MS = 5000;

/**
 * Decisions: fills in what the registry knows (an instance's resource group, on either side), loads
 * the target account's active policies and asks the engine. Every deny is audited. Policies and
 * instances are cached per replica for at most 5 s; `events.iam.policy.changed.v1` and
 * `events.iam.instance.deleted.v1` (from any replica) and this replica's own writes drop them at once.
 */
@Injectable()
export class AuthzService implements AuthzDecider, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly engine = new PolicyEngine();
  private readonly policyCache = new TtlCache<Awaited<ReturnType<PoliciesRepository['listActiveForDecision']>>>(CACHE_TTL_MS);
  private readonly instanceCache = new TtlCache<ServiceInstance | undefined>(CACHE_TTL_MS);
  private subscriptions: Subscription[] = [];

  constructor(
    private readonly policies: PoliciesRepository,
    private readonly registry: RegistryRepository,
    private readonly audit: AuditWriter,
    private readonly clock: Clock,
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
  ) {}

  onApplicationBootstrap(): void {
    const connection = this.nats.get();
    this.subscriptions = [
      connection.subscribe(this.namespace.subject(IAM_EVENT_SUBJECTS.policyChanged), {
        callback: (_error, message) => {
          const accountId = safeJson(message.data)?.['accountId'];
          if (typeof accountId === 'string') this.policyCache.delete(accountId);
          else this.policyCache.clear();
        },
      }),
      connection.subscribe(this.namespace.subject(IAM_EVENT_SUBJECTS.instanceDeleted), {
        callback: (_error, message) => {
          const guid = safeJson(message.data)?.['guid'];
          if (typeof guid === 'string') this.instanceCache.delete(guid);
          else this.instanceCache.clear();
        },
      }),
    ];
  }

  onApplicationShutdown(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }

  /** This replica changed the account's policies: the next decision reads them again. */
  policiesChanged(accountId: string): void {
    this.policyCache.delete(accountId);
  }

  instanceDeleted(guid: string): void {
    this.instanceCache.delete(guid);
  }

  private activePolicies(accountId: string) {
    return this.policyCache.get(accountId, () => this.policies.listActiveForDecision(accountId));
  }

  private instance(guid: string) {
    return this.instanceCache.get(guid, () => this.registry.findByGuid(guid));
  }

  async check(request: AuthzCheckRequest): Promise<AuthzCheckResponse> {
    const enriched = await this.enrich(request);
    const policies = await this.activePolicies(enriched.resource.accountId);
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
        policies = await this.activePolicies(account);
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
      const instance = await this.instance(resource.serviceInstance);
      // Only an instance of the named service and account lends its group: no borrowing across accounts.
      if (instance && instance.account_id === resource.accountId && instance.service === resource.serviceName) {
        resource.resourceGroupId = instance.resource_group_id;
      }
    }
    if (subject.serviceInstance && !subject.resourceGroupId) {
      const instance = await this.instance(subject.serviceInstance);
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

function safeJson(data: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(data));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
