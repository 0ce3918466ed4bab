import type { Logger } from 'pino';
import { HSM_QUEUE } from '@keyward/contracts';
import { DatabaseModule, type Env, type RunningService, startService } from '@keyward/platform';
import { loadHsmConfig } from './config/hsm.config';
import { HsmPrisma } from './database/hsm-prisma.service';
import { HsmModule } from './hsm.module';
import { PingModule } from './ping/ping.module';

/**
 * Starts the HSM daemon: the only process that holds key material. It answers `rpc.hsm.*` over NATS
 * only; its HTTP port serves /health and /metrics and nothing else.
 */
export async function startHsm(env: Env, options: { logger?: Logger } = {}): Promise<RunningService> {
  const config = loadHsmConfig(env);
  return startService({
    config: config.service,
    imports: [DatabaseModule.forClient(HsmPrisma), PingModule, HsmModule.forConfig(config.hsm)],
    errorFormat: 'keyward',
    rpcQueue: HSM_QUEUE,
    ...options,
  });
}
