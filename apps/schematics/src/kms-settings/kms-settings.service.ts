import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError } from '@keyward/contracts';
import { KmsClient, KmsClientError, assertKmsAuthorization, keyRefFromCrn, kmsAuthorizationQuery } from '@keyward/kms-client';
import { AUTHZ_DECIDER, type AuthzDecider, LOGGER } from '@keyward/platform';
import { type Location, kmsSettingCrn } from '../common/locations';
import { WorkspaceRepository } from '../workspaces/workspace.repository';
import { parseKmsSettings } from './kms-settings-input';
import { type KmsEndpointSetting, type KmsSettingRecord, KmsSettingsRepository } from './kms-settings.repository';

/**
 * BYOK/KYOK per account and location (seed 001). A one-time setting: before it is stored, IAM must
 * hold the authorization Schematics → each KMS instance (Reader), and each key must wrap for Schematics
 * at its endpoint, so a setting that is stored is one that works.
 */
@Injectable()
export class KmsSettingsService {
  constructor(
    private readonly repository: KmsSettingsRepository,
    private readonly workspaces: WorkspaceRepository,
    private readonly client: KmsClient,
    @Inject(AUTHZ_DECIDER) private readonly decider: AuthzDecider,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async get(accountId: string, location: Location): Promise<KmsSettingRecord> {
    const setting = await this.repository.find(accountId, location);
    if (!setting) throw new DomainError('NOT_FOUND_ERR', `No KMS settings for location ${location}: workspaces there use Schematics' own key`);
    return setting;
  }

  /** How far moving the location's older workspaces to the settings' keys has come. */
  async reencryption(accountId: string, location: Location): Promise<Reencryption> {
    const { total, pending } = await this.workspaces.keyProgress(accountId, location);
    return { state: pending === 0 ? 'done' : 'in_progress', total_workspaces: total, pending_workspaces: pending };
  }

  /** The setting workspaces created in `location` use, if any. */
  find(accountId: string, location: Location): Promise<KmsSettingRecord | undefined> {
    return this.repository.find(accountId, location);
  }

  async enable(accountId: string, body: unknown): Promise<KmsSettingRecord> {
    const input = parseKmsSettings(body);
    await this.refuseChange(accountId, input.location);
    const sourceCrn = kmsSettingCrn(input.location, accountId);
    const keys = [input.primary, ...(input.secondary ? [input.secondary] : [])];
    for (const key of keys) {
      await assertKmsAuthorization(this.decider, kmsAuthorizationQuery({ sourceCrn, keyCrn: key.keyCrn, serviceName: 'schematics', resourceGroupId: input.resourceGroupId }));
    }
    for (const [index, key] of keys.entries()) await this.probe(key, sourceCrn, index === 0 ? 'primary_crk' : 'secondary_crk');
    const stored = await this.repository.createOnce({ accountId, ...input });
    if (!stored) throw oneTime(input.location);
    this.logger.info({ accountId, location: input.location, scheme: input.scheme, primaryKeyCrn: input.primary.keyCrn, secondaryKeyCrn: input.secondary?.keyCrn }, 'KMS settings enabled');
    return this.get(accountId, input.location);
  }

  private async refuseChange(accountId: string, location: Location): Promise<void> {
    if (await this.repository.find(accountId, location)) throw oneTime(location);
  }

  /** One wrap with the key at its endpoint: the key is a root key, usable, and the endpoint answers. */
  private async probe(key: KmsEndpointSetting, sourceCrn: string, field: string): Promise<void> {
    const ref = keyRefFromCrn(key.keyCrn, sourceCrn, key.endpoint);
    if (!ref) throw new DomainError('INVALID_FIELD_ERR', `${field}.key_crn: is not the CRN of a root key`);
    const probe = randomBytes(32);
    try {
      await this.client.wrap(ref, { plaintext: probe.toString('base64') });
    } catch (error) {
      if (!(error instanceof KmsClientError)) throw error;
      if (error.isTransient) {
        throw new DomainError('INVALID_FIELD_ERR', `${field}.kms_private_endpoint: the KMS at ${key.endpoint} could not be reached`, {
          target: { type: 'field', name: `${field}.kms_private_endpoint` },
          cause: error,
        });
      }
      throw new DomainError('INVALID_FIELD_ERR', `${field}.key_crn: the key is not a root key Schematics can use: ${error.message} (${error.code})`, {
        target: { type: 'field', name: `${field}.key_crn` },
        cause: error,
      });
    } finally {
      probe.fill(0);
    }
  }
}

function oneTime(location: Location): DomainError {
  return new DomainError(
    'CONFLICT_ERR',
    `KMS settings for location ${location} are a one-time setting and are already enabled: to update them, open a support request`,
  );
}

export interface Reencryption {
  state: 'in_progress' | 'done';
  total_workspaces: number;
  pending_workspaces: number;
}

/** The Schematics API's view of a setting. */
export function kmsSettingsView(setting: KmsSettingRecord, reencryption?: Reencryption) {
  const crk = (key: KmsEndpointSetting) => ({ kms_name: key.name, key_crn: key.keyCrn, kms_private_endpoint: key.endpoint });
  return {
    location: setting.location,
    encryption_scheme: setting.scheme,
    resource_group: setting.resourceGroupId,
    primary_crk: crk(setting.primary),
    ...(setting.secondary ? { secondary_crk: crk(setting.secondary) } : {}),
    created_at: setting.createdAt.toISOString(),
    ...(reencryption ? { reencryption } : {}),
  };
}
