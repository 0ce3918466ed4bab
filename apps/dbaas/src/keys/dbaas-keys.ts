import { EnvelopeEncryption, KmsClient } from '@keyward/kms-client';
import { ServiceTokenProvider } from '@keyward/platform';
import type { DbaasConfig } from '../config/dbaas.config';

/**
 * DBaaS's own envelope encryption (as `hyperp-dbaas-postgresql`): cluster data keys and rows. One per
 * replica; key events wipe its cache.
 */
export class ClusterEnvelope extends EnvelopeEncryption {}

/**
 * The backup worker's side, under its own identity `hyperp-dbaas-backup`: its own token, its own KMS
 * client and its own DEK cache. IAM lets it act for clusters only through a delegated authorization.
 */
export class BackupKms {
  readonly client: KmsClient;
  readonly envelope: EnvelopeEncryption;

  constructor(config: DbaasConfig['backup']) {
    this.client = new KmsClient({ kmsUrl: config.kmsUrl, tokens: new ServiceTokenProvider({ iamUrl: config.iamUrl, apiKey: config.apiKey }) });
    this.envelope = new EnvelopeEncryption({ client: this.client });
  }
}
