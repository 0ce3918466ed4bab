import { type DynamicModule, Module } from '@nestjs/common';
import { KmsClient, KmsClientModule, ServiceDefaultKey, serviceDefaultKeyProviders } from '@keyward/kms-client';
import { DBAAS_CONFIG, type DbaasConfig } from '../config/dbaas.config';
import { IamInstances } from '../iam/iam-instances';
import { ClusterKeys } from './cluster-keys';
import { BackupKms, ClusterEnvelope } from './dbaas-keys';

/**
 * Everything key-related, shared by the feature modules: the KMS client (as hyperp-dbaas-postgresql),
 * the clusters' envelope encryption, the backup worker's own KMS side, IAM instance management, and
 * DBaaS's own default root key (settled at start, in /health as `default-key`).
 */
@Module({})
export class KeysModule {
  static forRoot(config: DbaasConfig): DynamicModule {
    return {
      module: KeysModule,
      global: true,
      imports: [KmsClientModule.register(config.kms)],
      providers: [
        { provide: DBAAS_CONFIG, useValue: config },
        { provide: ClusterEnvelope, inject: [KmsClient], useFactory: (client: KmsClient) => new ClusterEnvelope({ client }) },
        { provide: BackupKms, useFactory: () => new BackupKms(config.backup) },
        { provide: IamInstances, useFactory: () => new IamInstances(config.kms) },
        ...serviceDefaultKeyProviders({
          service: 'hyperp-dbaas-postgresql',
          ...(config.defaultKeyCrn ? { configuredKeyCrn: config.defaultKeyCrn } : {}),
          kms: config.kms,
          hint: 'name the root key that protects the cluster in keyCrn',
        }),
        ClusterKeys,
      ],
      exports: [DBAAS_CONFIG, KmsClientModule, ClusterEnvelope, BackupKms, IamInstances, ClusterKeys, ServiceDefaultKey],
    };
  }
}
