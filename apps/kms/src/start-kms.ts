import type { Logger } from 'pino';
import { HSM_SUBJECTS, IAM_SUBJECTS, STREAMS } from '@keyward/contracts';
import { DatabaseModule, type Env, PeerPingHealthModule, type RunningService, startService } from '@keyward/platform';
import { loadKmsConfig } from './config/kms.config';
import { KmsPrisma } from './database/kms-prisma.service';

/** Starts the KMS: the Key Protect API v2 and /crypto_v1, a client of rpc.hsm.* and rpc.iam.*. */
export async function startKms(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadKmsConfig(env);
  return startService({
    config: config.service,
    imports: [
      DatabaseModule.forClient(KmsPrisma),
      // Every key operation needs the HSM and every authorization IAM: /health shows whether each answers.
      PeerPingHealthModule.forPeers([
        { name: 'hsm', subject: HSM_SUBJECTS.ping },
        { name: 'iam', subject: IAM_SUBJECTS.ping },
      ]),
    ],
    errorFormat: 'key-protect',
    streams: [STREAMS.KMS_EVENTS],
    ...options,
  });
}
