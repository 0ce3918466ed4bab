import type { Logger } from 'pino';
import { IAM_SUBJECTS } from '@keyward/contracts';
import { AuthModule, DatabaseModule, type Env, PeerPingHealthModule, type RunningService, startService } from '@keyward/platform';
import { loadSchematicsConfig } from './config/schematics.config';
import { SchematicsPrisma } from './database/schematics-prisma.service';
import { WorkspacesModule } from './workspaces/workspaces.module';

/** Starts Schematics: a consumer that encrypts its data with its customers' root keys through the KMS's HTTP API. */
export async function startSchematics(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadSchematicsConfig(env);
  return startService({
    config: config.service,
    imports: [
      DatabaseModule.forClient(SchematicsPrisma),
      AuthModule.forRoot({ iamUrl: config.kms.iamUrl }),
      PeerPingHealthModule.forPeers([{ name: 'iam', subject: IAM_SUBJECTS.ping }]),
      WorkspacesModule.register({ kms: config.kms, ...(config.defaultKeyCrn ? { defaultKeyCrn: config.defaultKeyCrn } : {}) }),
    ],
    errorFormat: 'keyward',
    ...options,
  });
}
