import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { DomainError } from '@keyward/contracts';
import { KmsClient, assertKmsAuthorization, kmsAuthorizationQuery, parseKeyCrn } from '@keyward/kms-client';
import { AUTHZ_DECIDER, type AuthzDecider, parsePayload } from '@keyward/platform';
import type { AppConfigInstance } from '../instances/instance.repository';
import { IntegrationRepository, type KmsIntegrationRecord } from './integration.repository';
import { SegmentProtection, dataKeyOf, withKmsErrors } from './segment-protection';

/** The console's choices: the service (Key Protect or Hyper Protect Crypto Services) and a root key of one of its instances. */
const connectSchema = z.object({
  service: z.enum(['kms', 'hs-crypto']),
  root_key_crn: z.string().min(1).max(512),
  /** Optional: must then match the instance the key CRN names. */
  kms_instance_id: z.string().optional(),
});

export const SERVICE_TITLES: Record<string, string> = { kms: 'Key Protect', 'hs-crypto': 'Hyper Protect Crypto Services' };

/**
 * Key Management integrations (seed 000): Enterprise only; the IAM pre-flight; a data key wrapped by
 * the root key with the instance CRN as AAD; a registration (preventKeyDeletion false); every segment
 * re-encrypted in one transaction. A failure after registering removes the registration again
 * (or leaves it pending for the retry), so a failed connect leaves nothing behind.
 */
@Injectable()
export class IntegrationsService {
  private readonly logger = new Logger('IntegrationsService');

  constructor(
    private readonly integrations: IntegrationRepository,
    private readonly protection: SegmentProtection,
    private readonly client: KmsClient,
    @Inject(AUTHZ_DECIDER) private readonly decider: AuthzDecider,
  ) {}

  async list(instance: AppConfigInstance): Promise<Record<string, unknown>[]> {
    const integration = await this.integrations.find(instance.guid);
    return integration ? [view(integration)] : [];
  }

  async connect(instance: AppConfigInstance, body: unknown): Promise<Record<string, unknown>> {
    if (instance.plan !== 'enterprise') {
      throw new DomainError(
        'PLAN_NOT_ENTITLED_ERR',
        `Key Management integrations (BYOK and KYOK) are available only on the App Configuration Enterprise plan; instance ${instance.guid} is on the ${instance.plan} plan`,
      );
    }
    const input = parsePayload(connectSchema, body);
    const key = parseKeyCrn(input.root_key_crn);
    if (!key) throw new DomainError('INVALID_FIELD_ERR', 'root_key_crn must be the CRN of a root key (crn:v1:keyward:public:kms|hs-crypto:<region>:a/<account>:<instance>:key:<id>)', { target: { type: 'field', name: 'root_key_crn' } });
    if (key.serviceName !== input.service) {
      throw new DomainError('INVALID_FIELD_ERR', `root_key_crn names a ${SERVICE_TITLES[key.serviceName] ?? key.serviceName} key, not a ${SERVICE_TITLES[input.service]} key`, { target: { type: 'field', name: 'root_key_crn' } });
    }
    if (input.kms_instance_id !== undefined && input.kms_instance_id !== key.instanceId) {
      throw new DomainError('INVALID_FIELD_ERR', 'kms_instance_id is not the instance the root key belongs to', { target: { type: 'field', name: 'kms_instance_id' } });
    }
    if (await this.integrations.find(instance.guid)) throw new DomainError('KMS_INTEGRATION_EXISTS_ERR', `Instance ${instance.guid} already has a Key Management integration; it can be connected once`);

    await assertKmsAuthorization(this.decider, kmsAuthorizationQuery({ sourceCrn: instance.crn, keyCrn: input.root_key_crn, ...(instance.resourceGroupId ? { resourceGroupId: instance.resourceGroupId } : {}) }));

    const ref = { instanceId: key.instanceId, keyId: key.keyId, sourceCrn: instance.crn };
    // A standard key, a disabled key or a key the KMS refuses fails here, before anything is written.
    const dataKey = await withKmsErrors(() => this.protection.envelope.createDataKey(ref, { kmsAad: [instance.crn] }));
    await withKmsErrors(() => this.client.register(ref, { description: `App Configuration instance ${instance.guid}: segment data key` }));
    const record = {
      instanceGuid: instance.guid,
      service: input.service,
      kmsInstanceId: key.instanceId,
      keyId: key.keyId,
      keyCrn: input.root_key_crn,
      sourceCrn: instance.crn,
      wrappedDek: dataKey.wrappedDek,
      keyVersionId: dataKey.keyVersionId,
    };
    let outcome: 'created' | 'exists';
    try {
      const sealing = { ...record, keyState: 'active', restorableUntil: null, createdAt: new Date() } satisfies KmsIntegrationRecord;
      outcome = await this.integrations.connect(record, (segmentId, rules) => this.protection.seal(sealing, segmentId, rules));
    } catch (error) {
      await this.undoRegistration(record);
      throw error;
    }
    if (outcome === 'exists') {
      // Another connect won the race; ours registered the same CRN, which stays only if it is the same key.
      const winner = await this.integrations.find(instance.guid);
      if (winner && winner.keyId !== record.keyId) await this.undoRegistration(record);
      throw new DomainError('KMS_INTEGRATION_EXISTS_ERR', `Instance ${instance.guid} already has a Key Management integration; it can be connected once`);
    }
    return view((await this.integrations.find(instance.guid)) as KmsIntegrationRecord);
  }

  private async undoRegistration(record: Pick<KmsIntegrationRecord, 'instanceGuid' | 'kmsInstanceId' | 'keyId' | 'keyCrn' | 'sourceCrn'>): Promise<void> {
    try {
      await this.client.unregister(dataKeyOf({ ...record, service: '', wrappedDek: '', keyVersionId: '', keyState: 'active', restorableUntil: null, createdAt: new Date() }).ref);
    } catch (error) {
      this.logger.warn(`the failed connect's registration of ${record.sourceCrn} could not be removed now; it is retried (${(error as Error).message})`);
      await this.integrations.queueUnregistration({ sourceCrn: record.sourceCrn, instanceGuid: record.instanceGuid, kmsInstanceId: record.kmsInstanceId, keyId: record.keyId, keyCrn: record.keyCrn });
    }
  }
}

function view(integration: KmsIntegrationRecord): Record<string, unknown> {
  return {
    integration_id: 'key-management',
    integration_type: 'KMS',
    service: integration.service,
    service_name: SERVICE_TITLES[integration.service] ?? integration.service,
    kms_instance_id: integration.kmsInstanceId,
    root_key_id: integration.keyId,
    root_key_crn: integration.keyCrn,
    registered_crn: integration.sourceCrn,
    key_version_id: integration.keyVersionId,
    key_state: integration.keyState,
    ...(integration.restorableUntil ? { restorable_until: integration.restorableUntil.toISOString() } : {}),
    created_time: integration.createdAt.toISOString(),
  };
}
