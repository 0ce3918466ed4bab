import type { Logger } from 'pino';
import { IAM_QUEUE, STREAMS } from '@keyward/contracts';
import { DatabaseModule, type Env, type RunningService, startService } from '@keyward/platform';
import { loadIamConfig } from './config/iam.config';
import { IamPrisma } from './database/iam-prisma.service';
import { PingModule } from './ping/ping.module';

/** Starts IAM: identities, tokens, the resource registry and authorization (later issues fill these in). */
export async function startIam(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadIamConfig(env);
  return startService({
    config: config.service,
    imports: [DatabaseModule.forClient(IamPrisma), PingModule],
    errorFormat: 'iam',
    rpcQueue: IAM_QUEUE,
    streams: [STREAMS.IAM_EVENTS],
    ...options,
  });
}
