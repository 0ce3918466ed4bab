import type { Logger } from 'pino';
import { IAM_SUBJECTS } from '@keyward/contracts';
import { AuthModule, DatabaseModule, type Env, PeerPingHealthModule, type RunningService, startService } from '@keyward/platform';
import { BackupsModule } from './backups/backups.module';
import { ClustersModule } from './clusters/clusters.module';
import { loadDbaasConfig } from './config/dbaas.config';
import { DataModule } from './data/data.module';
import { DbaasPrisma } from './database/dbaas-prisma.service';
import { KeyEventsModule } from './key-events/key-events.module';
import { KeysModule } from './keys/keys.module';

/** Starts Hyper Protect DBaaS: a consumer that encrypts its data with its customers' root keys through the KMS's HTTP API. */
export async function startDbaas(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadDbaasConfig(env);
  return startService({
    config: config.service,
    imports: [
      DatabaseModule.forClient(DbaasPrisma),
      AuthModule.forRoot({ iamUrl: config.kms.iamUrl }),
      KeysModule.forRoot(config),
      PeerPingHealthModule.forPeers([{ name: 'iam', subject: IAM_SUBJECTS.ping }]),
      ClustersModule,
      DataModule,
      KeyEventsModule,
      BackupsModule,
    ],
    errorFormat: 'keyward',
    ...options,
  });
}
