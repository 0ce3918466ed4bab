import type { Logger } from 'pino';
import { STREAMS } from '@keyward/contracts';
import { DatabaseModule, type Env, type RunningService, startService } from '@keyward/platform';
import { loadKmsConfig } from './config/kms.config';
import { KmsPrisma } from './database/kms-prisma.service';
import { PeersHealthModule } from './peers/peers-health.module';

/** Starts the KMS: the Key Protect API v2 and /crypto_v1, a client of rpc.hsm.* and rpc.iam.*. */
export async function startKms(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadKmsConfig(env);
  return startService({
    config: config.service,
    imports: [DatabaseModule.forClient(KmsPrisma), PeersHealthModule],
    errorFormat: 'key-protect',
    streams: [STREAMS.KMS_EVENTS],
    ...options,
  });
}
