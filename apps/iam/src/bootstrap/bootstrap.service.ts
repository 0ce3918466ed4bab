import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DomainError, SERVICE_KEY_OWNER_PARAMETER, SERVICE_NAMES, type ServiceName } from '@keyward/contracts';
import { LOGGER } from '@keyward/platform';
import { AuditWriter } from '../audit/audit-writer';
import { Clock } from '../common/clock';
import { IamEventsPublisher } from '../events/iam-events.publisher';
import { hashSecret, newHexId } from '../common/secrets';
import { IAM_CONFIG, type IamConfig } from '../config/iam.config';
import { BOOTSTRAP_KEY_NAME, type IdentityRecord, IdentityRepository } from '../identity/identity.repository';
import { ACCOUNT_ADMIN_ROLES, serviceIamId, userIamId } from '../identity/identity.service';
import { PoliciesRepository } from '../policies/policies.repository';
import { BOOTSTRAP_ACTOR } from './bootstrap-actor';
import { ServiceKeyInstances } from './service-key-instances';

export { BOOTSTRAP_ACTOR };

/**
 * At every start (idempotent, safe with several replicas): the default account with its Default
 * resource group; the administrator (operator) whose API key is KEYWARD_ADMIN_APIKEY, with an
 * administrator policy on the account; a service ID per Keyward service whose API key is
 * KEYWARD_SERVICE_APIKEY_<NAME>; and the `kms` instance each consumer keeps its own root key in
 * (ServiceKeyInstances). Only key hashes are stored; a changed key replaces the old one.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  constructor(
    private readonly identities: IdentityRepository,
    private readonly policies: PoliciesRepository,
    private readonly clock: Clock,
    private readonly audit: AuditWriter,
    private readonly events: IamEventsPublisher,
    private readonly serviceKeyInstances: ServiceKeyInstances,
    @Inject(IAM_CONFIG) private readonly config: IamConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const accountId = await this.defaultAccount();
    const admin = await this.identity(accountId, 'user', 'admin', null, true);
    await this.bootstrapKey(admin, this.config.adminApiKey);
    await this.adminPolicy(accountId, admin);
    for (const service of SERVICE_NAMES) {
      const identity = await this.identity(accountId, 'ServiceId', `keyward-${service}`, service, false);
      const key = this.config.serviceApiKeys[service as ServiceName];
      if (key) await this.bootstrapKey(identity, key);
    }
    const keyInstances = await this.serviceKeyInstances.ensureAll(accountId);
    await this.identities.deleteExpiredRefreshTokens(this.clock.now());
    this.logger.info(
      { accountId, adminIamId: admin.iamId, services: Object.keys(this.config.serviceApiKeys), serviceKeyInstances: keyInstances.map((i) => ({ service: i.parameters[SERVICE_KEY_OWNER_PARAMETER], guid: i.guid })) },
      'IAM bootstrap done',
    );
  }

  private async defaultAccount(): Promise<string> {
    const existing = await this.identities.findDefaultAccount();
    if (existing) return existing.id;
    try {
      const id = newHexId();
      await this.identities.createAccount({ id, name: 'Keyward default account', isDefault: true }, newHexId());
      return id;
    } catch (error) {
      // Another replica created it first (one default account: unique index).
      const raced = await this.identities.findDefaultAccount();
      if (raced) return raced.id;
      throw error;
    }
  }

  private async identity(accountId: string, kind: 'user' | 'ServiceId', name: string, serviceName: string | null, isOperator: boolean): Promise<IdentityRecord> {
    const find = () => (serviceName ? this.identities.findServiceIdentity(serviceName) : this.identities.findIdentityByName(accountId, kind, name));
    const existing = await find();
    if (existing) return existing;
    try {
      return await this.identities.createIdentity({ iamId: kind === 'user' ? userIamId() : serviceIamId(), kind, accountId, name, serviceName, isOperator });
    } catch (error) {
      const raced = await find();
      if (raced) return raced;
      throw error;
    }
  }

  private async bootstrapKey(identity: IdentityRecord, apiKey: string): Promise<void> {
    const keyHash = hashSecret(apiKey);
    const keys = await this.identities.listApiKeys(identity.iamId);
    const current = await this.identities.findApiKeyByHash(keyHash);
    for (const key of keys) {
      if (key.name === BOOTSTRAP_KEY_NAME && key.id !== current?.id) await this.identities.deleteApiKey(key.id);
    }
    if (current) {
      if (current.iamId !== identity.iamId) throw new Error(`A bootstrap API key is already used by another identity (${identity.name}): give each service its own key`);
      return;
    }
    try {
      await this.identities.createApiKey({ id: `ApiKey-${randomUUID()}`, iamId: identity.iamId, accountId: identity.accountId, name: BOOTSTRAP_KEY_NAME, keyHash });
    } catch (error) {
      if (!(await this.identities.findApiKeyByHash(keyHash))) throw error;
    }
  }

  private async adminPolicy(accountId: string, admin: IdentityRecord): Promise<void> {
    const policies = await this.policies.list({ accountId, type: 'access' });
    if (policies.some((p) => p.createdById === BOOTSTRAP_ACTOR && p.subject.some((a) => a.name === 'iam_id' && a.value === admin.iamId))) return;
    const created = await this.policies
      .create(
        {
          id: randomUUID(),
          accountId,
          type: 'access',
          description: 'Keyward administrator (bootstrap)',
          subject: [{ name: 'iam_id', value: admin.iamId, operator: 'stringEquals' }],
          resource: [{ name: 'accountId', value: accountId, operator: 'stringEquals' }],
          roles: [...ACCOUNT_ADMIN_ROLES],
          delegate: false,
          actorId: BOOTSTRAP_ACTOR,
          at: this.clock.now(),
        },
        [],
      )
      .catch((error: unknown) => {
        // Another replica wrote the same administrator policy first.
        if (error instanceof DomainError && error.code === 'POLICY_CONFLICT_ERR') return [];
        throw error;
      });
    const policy = created[0];
    if (!policy) return;
    // Like every policy change: audited, and announced so every replica drops its cached decisions.
    this.audit.record({
      at: this.clock.now(),
      kind: 'policy.change',
      accountId,
      actorId: BOOTSTRAP_ACTOR,
      outcome: 'created',
      detail: { policyId: policy.id, type: 'access', subject: policy.subject, resource: policy.resource, roles: policy.roles.map((r) => r.role), administratorOf: accountId },
    });
    await this.events.policyChanged({ policyId: policy.id, type: 'access', change: 'created', accountId }, policy.version);
  }
}
