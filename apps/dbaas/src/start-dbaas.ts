import type { Logger } from 'pino';
import { IAM_SUBJECTS } from '@keyward/contracts';
import { KmsClientModule } from '@keyward/kms-client';
import { DatabaseModule, type Env, PeerPingHealthModule, type RunningService, startService } from '@keyward/platform';
import { loadDbaasConfig } from './config/dbaas.config';
import { DbaasPrisma } from './database/dbaas-prisma.service';

/** Starts Hyper Protect DBaaS: a consumer that encrypts its data with its customers' root keys through the KMS's HTTP API. */
export async function startDbaas(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadDbaasConfig(env);
  return startService({
    config: config.service,
    imports: [DatabaseModule.forClient(DbaasPrisma), KmsClientModule.register(config.kms), PeerPingHealthModule.forPeers([{ name: 'iam', subject: IAM_SUBJECTS.ping }])],
    errorFormat: 'keyward',
    ...options,
  });
}
