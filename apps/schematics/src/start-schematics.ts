import type { Logger } from 'pino';
import { IAM_SUBJECTS } from '@keyward/contracts';
import { KmsClientModule } from '@keyward/kms-client';
import { DatabaseModule, type Env, PeerPingHealthModule, type RunningService, startService } from '@keyward/platform';
import { loadSchematicsConfig } from './config/schematics.config';
import { SchematicsPrisma } from './database/schematics-prisma.service';

/** Starts Schematics: a consumer that encrypts its data with its customers' root keys through the KMS's HTTP API. */
export async function startSchematics(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadSchematicsConfig(env);
  return startService({
    config: config.service,
    imports: [DatabaseModule.forClient(SchematicsPrisma), KmsClientModule.register(config.kms), PeerPingHealthModule.forPeers([{ name: 'iam', subject: IAM_SUBJECTS.ping }])],
    errorFormat: 'keyward',
    ...options,
  });
}
