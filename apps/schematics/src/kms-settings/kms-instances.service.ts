import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { IAM_SUBJECTS, instanceListResponseSchema } from '@keyward/contracts';
import { KmsClient, KmsClientError } from '@keyward/kms-client';
import { LOGGER, RpcClient } from '@keyward/platform';
import { LOCATION_REGIONS, type Location, SCHEME_SERVICES, type Scheme } from '../common/locations';

export const SCHEMATICS_KMS_URL = Symbol('SCHEMATICS_KMS_URL');

/**
 * The KMS instances a caller may choose from for a location and scheme (seed 001): the account's
 * Key Protect (byok) or Hyper Protect Crypto Services (kyok) instances in the location's regions, each
 * with its active root keys as the KMS shows them to the caller. Listing uses the caller's own token,
 * so an instance the caller may not read keys of is left out: only what the caller can use is shown.
 */
@Injectable()
export class KmsInstancesService {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(SCHEMATICS_KMS_URL) private readonly kmsUrl: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(accountId: string, callerToken: string, location: Location, scheme: Scheme) {
    const service = SCHEME_SERVICES[scheme];
    const regions: readonly string[] = LOCATION_REGIONS[location];
    const instances = (await this.rpc.request(IAM_SUBJECTS.instanceList, { service, account_id: accountId }, { response: instanceListResponseSchema })).filter(
      (instance) => regions.includes(instance.target) && instance.state === 'active',
    );
    const asCaller = new KmsClient({ kmsUrl: this.kmsUrl, tokens: { get: async () => callerToken } });
    const listed = [];
    for (const instance of instances) {
      try {
        const keys = await asCaller.listKeys({ instanceId: instance.guid }, { extractable: false, state: [1] });
        listed.push({
          location,
          encryption_scheme: scheme,
          resource_group: instance.resource_group_id,
          kms_crn: instance.crn,
          kms_name: instance.name,
          kms_private_endpoint: this.kmsUrl,
          kms_public_endpoint: this.kmsUrl,
          keys: keys.map((key) => ({ name: key.name, crn: key.crn })),
        });
      } catch (error) {
        if (!(error instanceof KmsClientError) || error.isTransient) throw error;
        // 401/403: the caller may not use this instance, so it is not offered.
        this.logger.debug({ instanceId: instance.guid, code: error.code }, 'KMS instance not offered: the caller cannot list its keys');
      }
    }
    return { total_count: listed.length, kms_instances: listed };
  }
}
