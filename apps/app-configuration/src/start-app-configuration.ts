import type { Logger } from 'pino';
import { IAM_SUBJECTS } from '@keyward/contracts';
import { KmsClientModule } from '@keyward/kms-client';
import { AuthModule, DatabaseModule, type Env, PeerPingHealthModule, type RunningService, startService } from '@keyward/platform';
import { CatalogModule } from './catalog/catalog.module';
import { loadAppConfigurationConfig } from './config/app-configuration.config';
import { AppConfigurationPrisma } from './database/app-configuration-prisma.service';
import { FlagsModule } from './flags/flags.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { SegmentsModule } from './segments/segments.module';

/** Starts App Configuration: a consumer that encrypts its data with its customers' root keys through the KMS's HTTP API. */
export async function startAppConfiguration(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadAppConfigurationConfig(env);
  return startService({
    config: config.service,
    imports: [
      DatabaseModule.forClient(AppConfigurationPrisma),
      // Global: segments, integrations and key events all use the one KmsClient.
      { ...KmsClientModule.register(config.kms), global: true },
      AuthModule.forRoot({ iamUrl: config.kms.iamUrl }),
      PeerPingHealthModule.forPeers([{ name: 'iam', subject: IAM_SUBJECTS.ping }]),
      CatalogModule,
      SegmentsModule,
      FlagsModule,
      IntegrationsModule,
    ],
    errorFormat: 'keyward',
    ...options,
  });
}
