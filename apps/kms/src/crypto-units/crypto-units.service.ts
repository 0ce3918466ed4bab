import { Injectable } from '@nestjs/common';
import { DomainError, KEYWARD_APPS } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { KmsAccess } from '../access/kms-access';
import { HsmDomainsClient } from '../hsm/hsm-domains.client';
import type { KmsInstance } from '../instances/instance.repository';
import { objectBody } from '../keys/key-input';

/**
 * `/crypto_v1/instances/{id}` for Hyper Protect Crypto Services instances: connection info, the
 * domain's status and the ceremony steps, each forwarded to `rpc.hsm.domains.*`. Only the instance's
 * Managers may run ceremony steps (`hs-crypto.domain.*`).
 */
@Injectable()
export class CryptoUnitsService {
  constructor(
    private readonly domains: HsmDomainsClient,
    private readonly access: KmsAccess,
  ) {}

  async info(caller: AuthenticatedCaller, instance: KmsInstance, kmsUrl: string) {
    this.requireHpcs(instance);
    await this.access.require(caller, instance, 'domain.status');
    const status = await this.domains.status(instance.hsmDomainId);
    return {
      instance_id: instance.guid,
      crn: instance.crn,
      region: instance.region,
      // Key Protect API of this instance (Bluemix-Instance: instance_id).
      key_management_endpoint: kmsUrl || `http://127.0.0.1:${KEYWARD_APPS.kms.port}`,
      domain: status,
    };
  }

  async ceremonyInit(caller: AuthenticatedCaller, instance: KmsInstance, body: unknown) {
    this.requireHpcs(instance);
    await this.access.require(caller, instance, 'domain.ceremony-init');
    const input = objectBody(body, { required: true });
    return this.domains.ceremonyInit({ ...input, domainId: instance.hsmDomainId });
  }

  async submit(caller: AuthenticatedCaller, instance: KmsInstance, op: 'unseal' | 'rotate-master-key', body: unknown) {
    this.requireHpcs(instance);
    await this.access.require(caller, instance, op === 'unseal' ? 'domain.unseal' : 'domain.rotate-master-key');
    const input = objectBody(body, { required: true });
    return { replicas: await this.domains.broadcast(op, { domainId: instance.hsmDomainId, encryptedPart: input['encryptedPart'] }) };
  }

  async seal(caller: AuthenticatedCaller, instance: KmsInstance) {
    this.requireHpcs(instance);
    await this.access.require(caller, instance, 'domain.seal');
    return { replicas: await this.domains.broadcast('seal', { domainId: instance.hsmDomainId }) };
  }

  private requireHpcs(instance: KmsInstance): void {
    // A Key Protect instance has no crypto unit of its own: invisible here, as any resource the caller may not see.
    if (instance.service !== 'hs-crypto') throw new DomainError('UNAUTHORIZED_ERR');
  }
}
