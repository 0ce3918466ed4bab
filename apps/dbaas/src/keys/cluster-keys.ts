import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import {
  KmsAuthorizationMissingError,
  type KeyRef,
  KmsClient,
  ServiceDefaultKey,
  type KmsAuthorizationQuery,
  type WrappedDataKey,
  findMissingKmsAuthorization,
  keyRefFromCrn,
  parseKeyCrn,
} from '@keyward/kms-client';
import { AUTHZ_DECIDER, type AuthzDecider } from '@keyward/platform';
import { ClusterEnvelope } from './dbaas-keys';
import { keyChoiceRefusal, kmsRefusal } from './kms-errors';

const DBAAS_SERVICE = 'hyperp-dbaas-postgresql';

/** What a cluster stores about its data key (the DEK itself only wrapped). */
export interface ClusterKeyColumns {
  crn: string;
  keyCrn: string;
  wrappedDek: string;
  keyVersionId: string;
}

/**
 * The cluster's root key, chosen only at creation: the pre-flight authorization check, the cluster's
 * data key (generated here, wrapped by the root key) and the registration of the cluster's CRN with
 * the key (`preventKeyDeletion: false`: the customer stays in control).
 */
@Injectable()
export class ClusterKeys {
  constructor(
    private readonly client: KmsClient,
    private readonly envelope: ClusterEnvelope,
    private readonly defaultKey: ServiceDefaultKey,
    @Inject(AUTHZ_DECIDER) private readonly decider: AuthzDecider,
  ) {}

  /** A KMS root key CRN, or a 400 naming the field. */
  checkCrn(keyCrn: string, field: string): void {
    if (!parseKeyCrn(keyCrn)) {
      throw new DomainError('INVALID_FIELD_ERR', `${field} must be a root key CRN (crn:v1:keyward:public:kms|hs-crypto:<region>:a/<account>:<instance>:key:<id>)`, {
        target: { type: 'field', name: field },
      });
    }
  }

  /**
   * DBaaS's own root key for clusters created without `keyCrn` (issue 11): the operator's
   * KEYWARD_DBAAS_DEFAULT_KEY_CRN, else the key DBaaS keeps in the kms instance IAM's bootstrap made
   * for it. A 503 while that key is not available yet.
   */
  defaultKeyCrn(): string {
    return this.defaultKey.keyCrn();
  }

  /**
   * Asks IAM whether DBaaS (service-wide, before the cluster's instance exists) may use the key's KMS
   * instance as Reader, and names the missing authorization (with the command creating it) otherwise.
   */
  async preflight(accountId: string, keyCrn: string): Promise<void> {
    const key = parseKeyCrn(keyCrn);
    // DBaaS's own key: IAM grants DBaaS's service IDs on that instance; the customer has nothing to authorize.
    if (!key || this.defaultKey.isDefault(keyCrn)) return;
    const query: KmsAuthorizationQuery = {
      source: { serviceName: DBAAS_SERVICE, accountId },
      target: { serviceName: key.serviceName, accountId: key.accountId, instanceId: key.instanceId },
    };
    const missing = await findMissingKmsAuthorization(this.decider, query);
    if (missing) throw new KmsAuthorizationMissingError(missing);
  }

  ref(keyCrn: string, clusterCrn: string): KeyRef {
    const ref = keyRefFromCrn(keyCrn, clusterCrn);
    if (!ref) throw new DomainError('INVALID_FIELD_ERR', 'The key CRN is not valid');
    return ref;
  }

  dataKey(cluster: ClusterKeyColumns): WrappedDataKey {
    return { ref: this.ref(cluster.keyCrn, cluster.crn), wrappedDek: cluster.wrappedDek, keyVersionId: cluster.keyVersionId, kmsAad: [cluster.crn] };
  }

  /** A new DEK for the cluster, wrapped by its root key: a standard, disabled or unknown key is refused here. */
  async createDataKey(keyCrn: string, clusterCrn: string): Promise<WrappedDataKey> {
    try {
      return await this.envelope.createDataKey(this.ref(keyCrn, clusterCrn), { kmsAad: [clusterCrn] });
    } catch (error) {
      throw keyChoiceRefusal(error, `The root key ${keyCrn} cannot protect the cluster`);
    }
  }

  /** Checks that a (backup) key can wrap, without keeping anything. */
  async checkUsable(keyCrn: string, clusterCrn: string, what: string): Promise<void> {
    try {
      await this.client.wrap(this.ref(keyCrn, clusterCrn), { aad: [clusterCrn] });
    } catch (error) {
      throw keyChoiceRefusal(error, `The ${what} ${keyCrn} cannot be used`);
    }
  }

  async register(keyCrn: string, clusterCrn: string, description: string): Promise<void> {
    try {
      await this.client.register(this.ref(keyCrn, clusterCrn), { description });
    } catch (error) {
      throw kmsRefusal(error, `The cluster could not be registered with the root key ${keyCrn}`);
    }
  }

  /** Best effort: a purged key has no registrations left (the KMS answers 404, which is fine). */
  async unregister(keyCrn: string, clusterCrn: string): Promise<void> {
    await this.client.unregister(this.ref(keyCrn, clusterCrn));
  }

  async decrypt(dataKey: WrappedDataKey, sealed: string, aad: string): Promise<string> {
    try {
      return await this.envelope.decryptToString(dataKey, sealed, aad);
    } catch (error) {
      throw kmsRefusal(error, 'The cluster\'s data key could not be unwrapped');
    }
  }

  async encrypt(dataKey: WrappedDataKey, plaintext: string, aad: string): Promise<string> {
    try {
      return await this.envelope.encrypt(dataKey, plaintext, aad);
    } catch (error) {
      throw kmsRefusal(error, 'The cluster\'s data key could not be unwrapped');
    }
  }
}
