import { type DynamicModule, Module } from '@nestjs/common';
import { KmsClient, KmsClientModule } from '@keyward/kms-client';
import { DBAAS_CONFIG, type DbaasConfig } from '../config/dbaas.config';
import { IamInstances } from '../iam/iam-instances';
import { ClusterKeys } from './cluster-keys';
import { BackupKms, ClusterEnvelope } from './dbaas-keys';

/**
 * Everything key-related, shared by the feature modules: the KMS client (as hyperp-dbaas-postgresql),
 * the clusters' envelope encryption, the backup worker's own KMS side, and IAM instance management.
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
        ClusterKeys,
      ],
      exports: [DBAAS_CONFIG, KmsClientModule, ClusterEnvelope, BackupKms, IamInstances, ClusterKeys],
    };
  }
}
