import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN, DomainError } from '@keyward/contracts';
import { type AuthenticatedCaller, parsePayload } from '@keyward/platform';
import { AuditWriter } from '../audit/audit-writer';
import { AuthzService } from '../authz/authz.service';
import { IamEventsPublisher } from '../events/iam-events.publisher';
import { IAM_SERVICE, isAllowed } from '../common/caller-checks';
import { Clock } from '../common/clock';
import { hashSecret, newApiKey, newHexId } from '../common/secrets';
import { PoliciesRepository } from '../policies/policies.repository';
import { type ApiKeyRecord, type IdentityRecord, IdentityRepository } from './identity.repository';

const name = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9 ._@+-]+$/, 'may hold letters, digits, spaces and . _ @ + -');
const accountId = z.string().regex(ACCOUNT_ID_PATTERN, 'must be a 32-character account id');
export const createAccountBody = z.object({ name }).strict();
export const createUserBody = z.object({ name, account_id: accountId.optional(), administrator: z.boolean().optional() }).strict();
export const createServiceIdBody = z.object({ name, account_id: accountId.optional() }).strict();
export const createApiKeyBody = z.object({ name, iam_id: z.string().min(1).max(128), account_id: accountId.optional(), description: z.string().max(300).optional() }).strict();

/** The grant an account administrator gets: everything in the account, KeyPurge included. */
export const ACCOUNT_ADMIN_ROLES = [
  { kind: 'platform', role: 'Administrator' },
  { kind: 'service', role: 'Manager' },
  { kind: 'service', role: 'KeyPurge' },
] as const;

export function userIamId(): string {
  return `IBMid-${randomBytes(5).toString('hex')}`;
}

export function serviceIamId(): string {
  return `iam-ServiceId-${randomUUID()}`;
}

/**
 * Accounts, users, service IDs and API keys. Only the bootstrap operator creates accounts; an
 * account's administrators (iam-identity.*.manage) manage its identities; anyone manages their own
 * API keys. An API key is returned once, at creation; only its SHA-256 is stored.
 */
@Injectable()
export class IdentityService {
  constructor(
    private readonly repository: IdentityRepository,
    private readonly policies: PoliciesRepository,
    private readonly authz: AuthzService,
    private readonly clock: Clock,
    private readonly audit: AuditWriter,
    private readonly events: IamEventsPublisher,
  ) {}

  async createAccount(caller: AuthenticatedCaller, body: unknown) {
    const input = parsePayload(createAccountBody, body);
    if (!(await this.isOperator(caller))) throw new DomainError('UNAUTHORIZED_ERR');
    const id = newHexId();
    const groupId = newHexId();
    await this.repository.createAccount({ id, name: input.name, isDefault: false }, groupId);
    return { id, name: input.name, default_resource_group_id: groupId };
  }

  async createUser(caller: AuthenticatedCaller, body: unknown) {
    const input = parsePayload(createUserBody, body);
    const account = input.account_id ?? caller.principal.accountId;
    await this.requireManage(caller, account, 'iam-identity.user.manage');
    const identity = await this.create({ iamId: userIamId(), kind: 'user', accountId: account, name: input.name, serviceName: null, isOperator: false });
    if (input.administrator) {
      const [policy] = await this.policies.create(
        {
          id: randomUUID(),
          accountId: account,
          type: 'access',
          description: 'Account administrator',
          subject: [{ name: 'iam_id', value: identity.iamId, operator: 'stringEquals' }],
          resource: [{ name: 'accountId', value: account, operator: 'stringEquals' }],
          roles: [...ACCOUNT_ADMIN_ROLES],
          delegate: false,
          actorId: caller.principal.iamId,
          at: this.clock.now(),
        },
        [],
      );
      this.authz.policiesChanged(account);
      if (policy) {
        this.audit.record({ at: this.clock.now(), kind: 'policy.change', accountId: account, actorId: caller.principal.iamId, outcome: 'created', detail: { policyId: policy.id, type: 'access', administratorOf: account } });
        await this.events.policyChanged({ policyId: policy.id, type: 'access', change: 'created', accountId: account }, policy.version);
      }
    }
    return identityView(identity);
  }

  async createServiceId(caller: AuthenticatedCaller, body: unknown) {
    const input = parsePayload(createServiceIdBody, body);
    const account = input.account_id ?? caller.principal.accountId;
    await this.requireManage(caller, account, 'iam-identity.serviceid.manage');
    return identityView(await this.create({ iamId: serviceIamId(), kind: 'ServiceId', accountId: account, name: input.name, serviceName: null, isOperator: false }));
  }

  async createApiKey(caller: AuthenticatedCaller, body: unknown) {
    const input = parsePayload(createApiKeyBody, body);
    const owner = await this.visibleIdentity(caller, input.iam_id);
    // A Keyward service's token carries service_name, which skips registry authorization: its keys
    // come only from KEYWARD_SERVICE_APIKEY_<NAME> at bootstrap, never from this API (not even the
    // operator's), so no API caller can mint a service's identity.
    if (owner.serviceName) throw new DomainError('SERVICE_ID_MANAGED_ERR');
    const apikey = newApiKey();
    const record = await this.repository.createApiKey({ id: `ApiKey-${randomUUID()}`, iamId: owner.iamId, accountId: owner.accountId, name: input.name, keyHash: hashSecret(apikey) });
    return { ...apiKeyView(record), apikey };
  }

  async listApiKeys(caller: AuthenticatedCaller, iamId: string | undefined) {
    const owner = await this.visibleIdentity(caller, iamId ?? caller.principal.iamId);
    return { apikeys: (await this.repository.listApiKeys(owner.iamId)).map(apiKeyView) };
  }

  async getApiKey(caller: AuthenticatedCaller, id: string) {
    return apiKeyView(await this.visibleApiKey(caller, id));
  }

  async setApiKeyState(caller: AuthenticatedCaller, id: string, state: 'active' | 'disabled'): Promise<void> {
    await this.repository.setApiKeyState((await this.visibleApiKey(caller, id, 'manage')).id, state);
  }

  async deleteApiKey(caller: AuthenticatedCaller, id: string): Promise<void> {
    await this.repository.deleteApiKey((await this.visibleApiKey(caller, id, 'manage')).id);
  }

  private async create(identity: Omit<IdentityRecord, 'createdAt'>): Promise<IdentityRecord> {
    if (await this.repository.findIdentityByName(identity.accountId, identity.kind, identity.name)) {
      throw new DomainError('CONFLICT_ERR', `A ${identity.kind === 'user' ? 'user' : 'service ID'} with this name already exists in the account`);
    }
    return this.repository.createIdentity(identity);
  }

  private async isOperator(caller: AuthenticatedCaller): Promise<boolean> {
    return (await this.repository.findIdentity(caller.principal.iamId))?.isOperator === true;
  }

  private async requireManage(caller: AuthenticatedCaller, account: string, action: string): Promise<void> {
    if (!(await this.repository.findAccount(account))) throw new DomainError('ACCOUNT_NOT_FOUND_ERR');
    if (await this.isOperator(caller)) return;
    if (!(await isAllowed(this.authz, caller, action, { serviceName: IAM_SERVICE, accountId: account }))) throw new DomainError('UNAUTHORIZED_ERR');
  }

  /**
   * The identity itself, its account's administrators and the operator; anyone else gets "not found".
   * A Keyward service's own identity is the operator's alone (to see, disable or delete its keys in
   * an emergency); the service may see its own; account administrators, even of the default account
   * where these identities live, do not see them at all.
   */
  private async visibleIdentity(caller: AuthenticatedCaller, iamId: string, intent: 'read' | 'manage' = 'read'): Promise<IdentityRecord> {
    const identity = await this.repository.findIdentity(iamId);
    if (!identity) throw new DomainError('IDENTITY_NOT_FOUND_ERR');
    if (await this.isOperator(caller)) return identity;
    if (identity.serviceName) {
      if (intent === 'read' && identity.iamId === caller.principal.iamId) return identity;
      throw new DomainError('IDENTITY_NOT_FOUND_ERR');
    }
    if (identity.iamId === caller.principal.iamId) return identity;
    if (await isAllowed(this.authz, caller, 'iam-identity.apikey.manage', { serviceName: IAM_SERVICE, accountId: identity.accountId })) return identity;
    throw new DomainError('IDENTITY_NOT_FOUND_ERR');
  }

  private async visibleApiKey(caller: AuthenticatedCaller, id: string, intent: 'read' | 'manage' = 'read'): Promise<ApiKeyRecord> {
    const key = await this.repository.findApiKey(id);
    if (!key) throw new DomainError('APIKEY_NOT_FOUND_ERR');
    try {
      await this.visibleIdentity(caller, key.iamId, intent);
    } catch {
      throw new DomainError('APIKEY_NOT_FOUND_ERR');
    }
    return key;
  }
}

function identityView(identity: IdentityRecord) {
  return {
    iam_id: identity.iamId,
    ...(identity.kind === 'ServiceId' ? { id: identity.iamId.replace(/^iam-/, '') } : {}),
    type: identity.kind,
    name: identity.name,
    account_id: identity.accountId,
    ...(identity.serviceName ? { service_name: identity.serviceName } : {}),
    created_at: identity.createdAt.toISOString(),
  };
}

function apiKeyView(key: ApiKeyRecord) {
  return { id: key.id, name: key.name, iam_id: key.iamId, account_id: key.accountId, disabled: key.state !== 'active', created_at: key.createdAt.toISOString() };
}

