import type { Logger } from 'pino';
import { HSM_SUBJECTS, IAM_SUBJECTS, STREAMS } from '@keyward/contracts';
import { AuthModule, DatabaseModule, type Env, PeerPingHealthModule, type RunningService, startService } from '@keyward/platform';
import { ApiDocsModule } from './api-docs/api-docs.module';
import { AuditModule } from './audit/audit.module';
import { Clock } from './common/clock';
import { CryptoUnitsModule } from './crypto-units/crypto-units.module';
import { EventsModule } from './events/events.module';
import { loadKmsConfig } from './config/kms.config';
import { KmsPrisma } from './database/kms-prisma.service';
import { KmsCoreModule } from './kms-core.module';
import { KeysModule } from './keys/keys.module';
import { RegistrationsModule } from './registrations/registrations.module';
import { SchedulersModule } from './schedulers/schedulers.module';

/** Starts the KMS: the Key Protect API v2 and /crypto_v1, a client of rpc.hsm.* and rpc.iam.*. */
export async function startKms(env: Env, options: { logger?: Logger; clock?: Clock } = {}): Promise<RunningService> {
  const config = loadKmsConfig(env);
  return startService({
    config: config.service,
    imports: [
      DatabaseModule.forClient(KmsPrisma),
      KmsCoreModule.forRoot(config.kms, options.clock ?? new Clock()),
      AuthModule.forRoot({ iamUrl: config.kms.iamUrl }),
      // Every key operation needs the HSM and every authorization IAM: /health shows whether each answers.
      PeerPingHealthModule.forPeers([
        { name: 'hsm', subject: HSM_SUBJECTS.ping },
        { name: 'iam', subject: IAM_SUBJECTS.ping },
      ]),
      AuditModule,
      KeysModule,
      RegistrationsModule,
      EventsModule,
      CryptoUnitsModule,
      ApiDocsModule,
      SchedulersModule,
    ],
    errorFormat: 'key-protect',
    streams: [STREAMS.KMS_EVENTS],
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
