import type { Logger } from 'pino';
import { HSM_SUBJECTS, IAM_SUBJECTS, STREAMS } from '@keyward/contracts';
import { AuthModule, DatabaseModule, type Env, PeerPingHealthModule, type RunningService, startService } from '@keyward/platform';
import { AliasesModule } from './aliases/aliases.module';
import { ApiDocsModule } from './api-docs/api-docs.module';
import { AuditModule } from './audit/audit.module';
import { Clock } from './common/clock';
import { CryptoUnitsModule } from './crypto-units/crypto-units.module';
import { EventsModule } from './events/events.module';
import { loadKmsConfig } from './config/kms.config';
import { KmsPrisma } from './database/kms-prisma.service';
import { KmsCoreModule } from './kms-core.module';
import { DualAuthModule } from './dual-auth/dual-auth.module';
import { InstancePoliciesModule } from './instance-policies/instance-policies.module';
import { listenPrivately } from './instance-policies/private-endpoint';
import { KeyRingsModule } from './key-rings/key-rings.module';
import { KeysModule } from './keys/keys.module';
import { KeyPoliciesModule } from './policies/key-policies.module';
import { RegistrationsModule } from './registrations/registrations.module';
import { SchedulersModule } from './schedulers/schedulers.module';

/** Starts the KMS: the Key Protect API v2 and /crypto_v1, a client of rpc.hsm.* and rpc.iam.*. */
/** The KMS as started: the public endpoint (`url`) and the private one (`privateUrl`, KEYWARD_KMS_PRIVATE_PORT). */
export interface RunningKms extends RunningService {
  privateUrl: string;
}

export async function startKms(env: Env, options: { logger?: Logger; clock?: Clock } = {}): Promise<RunningKms> {
  const config = loadKmsConfig(env);
  const running = await startService({
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
      KeyRingsModule,
      AliasesModule,
      RegistrationsModule,
      EventsModule,
      CryptoUnitsModule,
      ApiDocsModule,
      SchedulersModule,
      KeyPoliciesModule,
      InstancePoliciesModule,
      DualAuthModule,
    ],
    errorFormat: 'key-protect',
    streams: [STREAMS.KMS_EVENTS],
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let privateEndpoint;
  try {
    privateEndpoint = await listenPrivately(running.app, {
      host: config.service.http.host,
      port: config.kms.privatePort,
      ...(config.service.http.tls ? { tls: config.service.http.tls } : {}),
    });
  } catch (error) {
    await running.close();
    throw error;
  }
  running.logger.info({ url: privateEndpoint.url }, 'kms private endpoint listening');
  const endpoint = privateEndpoint;
  // Port 0 (tests) lets the OS choose: GET /instance/allowed_ip_port must show the bound one.
  config.kms.privatePort = endpoint.port;
  return {
    ...running,
    privateUrl: endpoint.url,
    close: async () => {
      await endpoint.close();
      await running.close();
    },
  };
}
