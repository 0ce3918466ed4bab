import type { Logger } from 'pino';
import { IAM_SUBJECTS } from '@keyward/contracts';
import { KmsClientModule } from '@keyward/kms-client';
import { DatabaseModule, type Env, PeerPingHealthModule, type RunningService, startService } from '@keyward/platform';
import { loadAppConfigurationConfig } from './config/app-configuration.config';
import { AppConfigurationPrisma } from './database/app-configuration-prisma.service';

/** Starts App Configuration: a consumer that encrypts its data with its customers' root keys through the KMS's HTTP API. */
export async function startAppConfiguration(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadAppConfigurationConfig(env);
  return startService({
    config: config.service,
    imports: [DatabaseModule.forClient(AppConfigurationPrisma), KmsClientModule.register(config.kms), PeerPingHealthModule.forPeers([{ name: 'iam', subject: IAM_SUBJECTS.ping }])],
    errorFormat: 'keyward',
    ...options,
  });
}
