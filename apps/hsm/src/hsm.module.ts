import { type BeforeApplicationShutdown, type DynamicModule, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { PLATFORM_DOMAIN_ID } from '@keyward/contracts';
import { masterKeyCheck, partCheck, rebuildMasterKey, zeroize } from '@keyward/crypto';
import { LOGGER, MetricsService, NatsConnectionHolder, SERVICE_CONFIG, type ServiceConfig, SubjectNamespace } from '@keyward/platform';
import { HSM_CONFIG, type HsmConfig } from './config/hsm.config';
import { DomainService, REPLICA_HEARTBEAT_MS } from './domains/domain.service';
import { MasterKeyring } from './domains/master-keyring';
import { MasterKeyRotationJob } from './domains/master-key-rotation.job';
import { readPlatformPartsFile } from './domains/platform-parts-file';
import { KeyCache } from './keys/key-cache';
import { KeyOperations } from './keys/key-operations.service';
import { KeyStoreRepository } from './keystore/key-store.repository';
import type { MasterKeyBackend } from './backends/master-key-backend';
import { Pkcs11Backend } from './backends/pkcs11-backend';
import { SoftwareBackend } from './backends/software-backend';
import { HsmRpcRouter } from './rpc/hsm-rpc.router';

const MASTER_KEY_BACKEND = Symbol('MASTER_KEY_BACKEND');

/**
 * Starts serving when the app has started: the platform domain exists (and is unsealed from the parts
 * file if one is configured); hs-crypto domains stay sealed until their custodians load them.
 */
class HsmLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private router?: HsmRpcRouter;
  private rotationJob?: MasterKeyRotationJob;
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(
    @Inject(HSM_CONFIG) private readonly config: HsmConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
    private readonly metrics: MetricsService,
    private readonly repository: KeyStoreRepository,
    private readonly domains: DomainService,
    private readonly keys: KeyOperations,
    @Inject(MASTER_KEY_BACKEND) private readonly backend: MasterKeyBackend,
    @Inject(MasterKeyring) private readonly keyring: MasterKeyring,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.router = new HsmRpcRouter(this.nats.get(), this.namespace, this.domains, this.keys, this.metrics, this.logger);
    this.domains.setListener(this.router);
    this.rotationJob = new MasterKeyRotationJob(this.repository, this.keyring, this.logger, this.config.rotationPageSize);
    this.domains.setRotationJob(this.rotationJob);
    await this.repository.ensureDomain(PLATFORM_DOMAIN_ID);
    this.router.start();
    if (this.backend.platformKey) await this.unsealPlatformFromToken(this.backend.platformKey.bind(this.backend));
    else if (this.config.platformPartsFile) await this.unsealPlatformFromFile(this.config.platformPartsFile);
    await this.domains.heartbeat();
    this.heartbeatTimer = setInterval(() => {
      this.domains.heartbeat().catch((error: unknown) => this.logger.warn({ err: error }, 'replica heartbeat failed'));
    }, REPLICA_HEARTBEAT_MS);
    this.heartbeatTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    await this.router?.stop();
    await this.rotationJob?.stop();
    await this.domains.sealAll();
    await this.domains.leave();
    this.backend.close();
  }

  /** KYOK in a token: the operator's platform master key never leaves it; the domain is active at once. */
  private async unsealPlatformFromToken(platformKey: NonNullable<MasterKeyBackend['platformKey']>): Promise<void> {
    const { key, check } = platformKey();
    const domain = await this.domains.domain(PLATFORM_DOMAIN_ID);
    if (!domain.masterCheck) await this.repository.initializeDomain(PLATFORM_DOMAIN_ID, null, check, []);
    else if (domain.masterCheck !== check) {
      throw new Error('The token holds another platform master key than the one this key store was made with');
    }
    const current = await this.domains.domain(PLATFORM_DOMAIN_ID);
    await this.domains.activateWith(PLATFORM_DOMAIN_ID, current.generation, key);
  }

  private async unsealPlatformFromFile(path: string): Promise<void> {
    const { threshold, parts } = readPlatformPartsFile(path);
    const domain = await this.domains.domain(PLATFORM_DOMAIN_ID);
    if (!domain.masterCheck) {
      // First start: the file is the ceremony. Record its check values, never the parts.
      const masterKey = await rebuildMasterKey(parts, threshold);
      const check = masterKeyCheck(masterKey);
      zeroize(masterKey);
      await this.repository.initializeDomain(PLATFORM_DOMAIN_ID, threshold, check, parts.map((part) => partCheck(PLATFORM_DOMAIN_ID, part)));
    }
    await this.domains.unsealWithParts(PLATFORM_DOMAIN_ID, parts);
    for (const part of parts) zeroize(part);
    this.logger.warn('platform domain unsealed from a parts file (development convenience: the file holds the master key)');
  }
}

@Module({})
export class HsmModule {
  static forConfig(config: HsmConfig): DynamicModule {
    const keyring = new MasterKeyring();
    const cache = new KeyCache(config.keyCacheSize, config.keyCacheTtlMs, Date.now, config.keyRecordTtlMs);
    return {
      module: HsmModule,
      providers: [
        { provide: HSM_CONFIG, useValue: config },
        { provide: MasterKeyring, useValue: keyring },
        {
          provide: MASTER_KEY_BACKEND,
          useFactory: (): MasterKeyBackend => (config.pkcs11 ? new Pkcs11Backend(config.pkcs11) : new SoftwareBackend()),
        },
        KeyStoreRepository,
        {
          provide: DomainService,
          inject: [KeyStoreRepository, SERVICE_CONFIG, LOGGER, MASTER_KEY_BACKEND],
          useFactory: (repository: KeyStoreRepository, service: ServiceConfig, logger: Logger, backend: MasterKeyBackend) =>
            new DomainService(repository, keyring, cache, backend, config.storageKey, service.replicaId, logger),
        },
        {
          provide: KeyOperations,
          inject: [KeyStoreRepository, LOGGER],
          useFactory: (repository: KeyStoreRepository, logger: Logger) => new KeyOperations(repository, keyring, cache, logger),
        },
        HsmLifecycle,
      ],
    };
  }
}
