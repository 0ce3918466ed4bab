import { Injectable } from '@nestjs/common';
import { IamPrisma } from '../database/iam-prisma.service';
import { mapRaces } from '../database/prisma-errors';

export interface IdentityRecord {
  iamId: string;
  kind: 'user' | 'ServiceId';
  accountId: string;
  name: string;
  serviceName: string | null;
  isOperator: boolean;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  iamId: string;
  accountId: string;
  name: string;
  state: 'active' | 'disabled';
  createdAt: Date;
}

/** The name of the API keys bootstrap writes from KEYWARD_ADMIN_APIKEY and KEYWARD_SERVICE_APIKEY_<NAME>. */
export const BOOTSTRAP_KEY_NAME = 'bootstrap';

type Row = { kind: string } & Omit<IdentityRecord, 'kind'>;
const toIdentity = (row: Row): IdentityRecord => ({ ...row, kind: row.kind === 'user' ? 'user' : 'ServiceId' });
const apiKeySelect = { id: true, iamId: true, accountId: true, name: true, state: true, createdAt: true } as const;
const toApiKey = (row: { state: string } & Omit<ApiKeyRecord, 'state'>): ApiKeyRecord => ({ ...row, state: row.state === 'active' ? 'active' : 'disabled' });

/** Accounts, resource groups, identities, API keys (hashes) and refresh tokens (hashes). */
@Injectable()
export class IdentityRepository {
  constructor(private readonly prisma: IamPrisma) {}

  findDefaultAccount() {
    return this.prisma.account.findFirst({ where: { isDefault: true } });
  }

  findAccount(id: string) {
    return this.prisma.account.findUnique({ where: { id } });
  }

  async createAccount(account: { id: string; name: string; isDefault: boolean }, defaultGroupId: string): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.account.create({ data: account }),
      this.prisma.resourceGroup.create({ data: { id: defaultGroupId, accountId: account.id, name: 'Default', isDefault: true } }),
    ]);
  }

  findDefaultResourceGroup(accountId: string) {
    return this.prisma.resourceGroup.findFirst({ where: { accountId, isDefault: true } });
  }

  findResourceGroup(id: string) {
    return this.prisma.resourceGroup.findUnique({ where: { id } });
  }

  findResourceGroupByName(accountId: string, name: string) {
    return this.prisma.resourceGroup.findUnique({ where: { accountId_name: { accountId, name } } });
  }

  /** A concurrent create of the same name loses the unique index: 409, not 500. */
  createResourceGroup(group: { id: string; accountId: string; name: string }) {
    return mapRaces(this.prisma.resourceGroup.create({ data: { ...group, isDefault: false } }), { conflict: ['CONFLICT_ERR', 'A resource group with this name already exists'] });
  }

  listResourceGroups(accountId: string) {
    return this.prisma.resourceGroup.findMany({ where: { accountId }, orderBy: { createdAt: 'asc' } });
  }

  async findIdentity(iamId: string): Promise<IdentityRecord | undefined> {
    const row = await this.prisma.identity.findUnique({ where: { iamId } });
    return row ? toIdentity(row) : undefined;
  }

  async findServiceIdentity(serviceName: string): Promise<IdentityRecord | undefined> {
    const row = await this.prisma.identity.findUnique({ where: { serviceName } });
    return row ? toIdentity(row) : undefined;
  }

  async findIdentityByName(accountId: string, kind: 'user' | 'ServiceId', name: string): Promise<IdentityRecord | undefined> {
    const row = await this.prisma.identity.findUnique({ where: { accountId_kind_name: { accountId, kind, name } } });
    return row ? toIdentity(row) : undefined;
  }

  /** A concurrent create of the same name (or service) loses the unique index: 409, not 500. */
  async createIdentity(identity: Omit<IdentityRecord, 'createdAt'>): Promise<IdentityRecord> {
    const what = identity.kind === 'user' ? 'user' : 'service ID';
    return toIdentity(await mapRaces(this.prisma.identity.create({ data: identity }), { conflict: ['CONFLICT_ERR', `A ${what} with this name already exists in the account`] }));
  }

  async createApiKey(key: { id: string; iamId: string; accountId: string; name: string; keyHash: string }): Promise<ApiKeyRecord> {
    return toApiKey(await mapRaces(this.prisma.apiKey.create({ data: key, select: apiKeySelect }), { conflict: ['CONFLICT_ERR', 'The API key could not be created: try again'] }));
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.prisma.apiKey.findUnique({ where: { keyHash }, select: apiKeySelect });
    return row ? toApiKey(row) : undefined;
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.prisma.apiKey.findUnique({ where: { id }, select: apiKeySelect });
    return row ? toApiKey(row) : undefined;
  }

  async listApiKeys(iamId: string): Promise<ApiKeyRecord[]> {
    return (await this.prisma.apiKey.findMany({ where: { iamId }, select: apiKeySelect, orderBy: { createdAt: 'asc' } })).map(toApiKey);
  }

  async setApiKeyState(id: string, state: 'active' | 'disabled'): Promise<void> {
    // A concurrent delete may have removed it since the caller's check: 404, not 500.
    await mapRaces(this.prisma.apiKey.update({ where: { id }, data: { state } }), { notFound: ['APIKEY_NOT_FOUND_ERR'] });
  }

  /** Deleting a key also ends the sessions it started. */
  async deleteApiKey(id: string): Promise<void> {
    await mapRaces(this.prisma.$transaction([this.prisma.refreshToken.deleteMany({ where: { apiKeyId: id } }), this.prisma.apiKey.delete({ where: { id } })]), {
      notFound: ['APIKEY_NOT_FOUND_ERR'],
    });
  }

  async createRefreshToken(token: { tokenHash: string; iamId: string; apiKeyId: string; expiresAt: Date }): Promise<void> {
    await this.prisma.refreshToken.create({ data: token });
  }

  /** Marks a refresh token used, once: a second use (a replay) finds nothing. */
  async consumeRefreshToken(tokenHash: string, now: Date): Promise<{ iamId: string; apiKeyId: string } | undefined> {
    const updated = await this.prisma.refreshToken.updateManyAndReturn({
      where: { tokenHash, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
      select: { iamId: true, apiKeyId: true },
    });
    return updated[0];
  }

  async deleteExpiredRefreshTokens(now: Date): Promise<void> {
    await this.prisma.refreshToken.deleteMany({ where: { OR: [{ expiresAt: { lte: now } }, { usedAt: { not: null } }] } });
  }
}
