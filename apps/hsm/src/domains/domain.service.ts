import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { DomainError, type DomainStatus, PLATFORM_DOMAIN_ID, type ReplicaProgress } from '@keyward/contracts';
import {
  CryptoError,
  combineParts,
  exportPrivateKeyDer,
  findPart,
  generateRsaKeyPairAsync,
  hybridDecrypt,
  hybridEncrypt,
  importPrivateKeyDer,
  openKeyObject,
  parseRsaPublicKey,
  runCeremony,
  sealKeyObject,
  validateThreshold,
  zeroize,
} from '@keyward/crypto';
import type { DomainRecord, KeyStoreRepository } from '../keystore/key-store.repository';
import type { KeyCache } from '../keys/key-cache';
import type { MasterKey, MasterKeyBackend } from '../backends/master-key-backend';
import type { MasterKeyring } from './master-keyring';
import type { MasterKeyRotationJob } from './master-key-rotation.job';

/** Told when this replica starts or stops holding a domain unsealed (it (un)subscribes its subjects). */
export interface DomainActivationListener {
  activated(domainId: string): Promise<void>;
  deactivated(domainId: string): Promise<void>;
}

export interface CeremonyInit {
  domainId: string;
  threshold: number;
  custodians: { name: string; publicKey: string }[];
  rotation: boolean;
}

export const REPLICA_HEARTBEAT_MS = 10_000;
/** A replica not seen for this long is left out of `status` (crashed without leaving). */
const REPLICA_LIVENESS_MS = 3 * REPLICA_HEARTBEAT_MS;

const CEREMONY_KEY_BINDING = (domainId: string) => ({ domainId, keyId: 'ceremony-key', version: 1, generation: 0 });

/**
 * Domains and their master keys on this replica: ceremonies, unseal, seal, and the parts of a
 * master-key rotation. Plain class; the NATS router calls it.
 */
export class DomainService {
  private listener?: DomainActivationListener;
  private rotationJob?: MasterKeyRotationJob;
  /**
   * Current master keys rebuilt while a rotation job had already moved key objects to the next
   * generation (a restart or a late replica mid-rotation): held, but not served, until the rotation
   * parts are in too, so no request ever meets a key object this replica cannot open.
   */
  private readonly awaitingRotation = new Map<string, { generation: number; key: MasterKey }>();

  constructor(
    private readonly repository: KeyStoreRepository,
    private readonly keyring: MasterKeyring,
    private readonly cache: KeyCache,
    private readonly backend: MasterKeyBackend,
    private readonly storageKey: Buffer,
    private readonly replicaId: string,
    private readonly logger: Logger,
  ) {}

  setListener(listener: DomainActivationListener): void {
    this.listener = listener;
  }

  setRotationJob(job: MasterKeyRotationJob): void {
    this.rotationJob = job;
  }

  async create(domainId: string): Promise<DomainStatus> {
    await this.repository.ensureDomain(domainId);
    return this.status(domainId);
  }

  /**
   * The domain across replicas: `active` when any live replica holds it (requests are served), with
   * each replica's state from the heartbeat table. `submitted` is this replica's unseal progress.
   */
  async status(domainId: string): Promise<DomainStatus> {
    const domain = await this.domain(domainId);
    await this.heartbeat();
    const live = await this.repository.liveReplicas(new Date(Date.now() - REPLICA_LIVENESS_MS));
    const replicas = live.map((replica) => ({
      id: replica.id,
      state: !domain.masterCheck ? ('uninitialized' as const) : replica.activeDomains.includes(domainId) ? ('active' as const) : ('sealed' as const),
    }));
    return {
      domainId,
      state: !domain.masterCheck ? 'uninitialized' : replicas.some((replica) => replica.state === 'active') ? 'active' : 'sealed',
      threshold: domain.threshold,
      submitted: this.keyring.submitted(domainId, 'unseal'),
      generation: domain.generation,
      ceremonyPublicKey: domain.ceremonyPublicKey,
      replicas,
    };
  }

  /** Records which domains this replica serves (at start, every REPLICA_HEARTBEAT_MS, and on changes). */
  async heartbeat(): Promise<void> {
    await this.repository.heartbeat(this.replicaId, this.keyring.activeDomains(), new Date());
  }

  async leave(): Promise<void> {
    await this.repository.removeReplica(this.replicaId).catch(() => undefined);
  }

  /**
   * A key ceremony: a fresh master key split into one part per custodian, each returned encrypted to
   * that custodian's key, then forgotten. The domain is sealed afterwards: custodians load it.
   */
  async ceremonyInit(request: CeremonyInit) {
    const domain = await this.domain(request.domainId);
    if (request.rotation ? !domain.masterCheck : domain.masterCheck) {
      throw new DomainError(
        'DOMAIN_STATE_ERR',
        request.rotation ? 'The domain has no master key to rotate yet' : 'The domain already has a master key: use a rotation ceremony',
      );
    }
    if (request.rotation && request.domainId === PLATFORM_DOMAIN_ID && this.backend.platformKey) {
      // The platform master key is the token's own object, found by CKA_ID at every start; a ceremony
      // key would only live as a session object and the next start would refuse the rotated key store.
      throw new DomainError(
        'MASTER_KEY_ROTATION_UNSUPPORTED_ERR',
        'The platform master key is kept in the PKCS#11 token: rotate it with the token vendor\'s tools, not a key ceremony',
      );
    }
    try {
      validateThreshold(request.threshold, request.custodians.length);
    } catch (error) {
      throw new DomainError('INVALID_FIELD_ERR', (error as Error).message, { target: { type: 'field', name: 'threshold' } });
    }
    const custodianKeys = request.custodians.map((custodian, index) => {
      try {
        return parseRsaPublicKey(custodian.publicKey);
      } catch (error) {
        throw new DomainError('INVALID_FIELD_ERR', (error as Error).message, { target: { type: 'field', name: `custodians.${index}.publicKey` } });
      }
    });
    const ceremonyPublicKey = await this.ensureCeremonyKey(domain);
    const ceremony = await runCeremony(request.domainId, request.custodians.length, request.threshold);
    try {
      const parts = request.custodians.map((custodian, index) => ({
        name: custodian.name,
        // Index-aligned: custodianKeys and ceremony.parts have one entry per custodian.
        encryptedPart: hybridEncrypt(custodianKeys[index] as KeyObject, ceremony.parts[index] as Buffer),
      }));
      if (request.rotation) {
        await this.repository.setPendingCeremony(request.domainId, request.threshold, ceremony.masterCheck, ceremony.partChecks);
      } else if (!(await this.repository.initializeDomain(request.domainId, request.threshold, ceremony.masterCheck, ceremony.partChecks))) {
        throw new DomainError('DOMAIN_STATE_ERR', 'Another ceremony initialized the domain first');
      }
      this.logger.info({ domainId: request.domainId, threshold: request.threshold, custodians: parts.length, rotation: request.rotation }, 'key ceremony completed');
      return {
        domainId: request.domainId,
        ceremonyPublicKey,
        threshold: request.threshold,
        generation: request.rotation ? domain.generation + 1 : 1,
        parts,
      };
    } finally {
      zeroize(ceremony.masterKey, ...ceremony.parts);
    }
  }

  /** One custodian's part, encrypted to the ceremony key. At the threshold, the domain becomes active here. */
  async unseal(domainId: string, encryptedPart: string): Promise<ReplicaProgress> {
    const domain = await this.domain(domainId);
    if (!domain.masterCheck || !domain.threshold) throw new DomainError('DOMAIN_STATE_ERR', 'The domain has had no key ceremony yet');
    if (this.keyring.key(domainId, domain.generation) || this.awaitingRotation.has(domainId)) return this.progress(domainId, domain);
    const part = await this.decryptPart(domain, encryptedPart);
    const index = findPart(domainId, part, domain.partChecks);
    if (index < 0) {
      zeroize(part);
      throw new DomainError('CEREMONY_PART_INVALID_ERR', 'The part does not match any part of this domain\'s ceremony');
    }
    const submitted = this.keyring.addPart(domainId, 'unseal', index, part);
    if (submitted >= domain.threshold) await this.activate(domainId, domain.generation, domain.threshold, domain.masterCheck, 'unseal');
    return this.progress(domainId, domain);
  }

  /** Rebuilds the master key from raw parts (the platform domain's parts file at start). */
  async unsealWithParts(domainId: string, parts: Buffer[]): Promise<void> {
    const domain = await this.domain(domainId);
    if (!domain.masterCheck || !domain.threshold) throw new DomainError('DOMAIN_STATE_ERR', 'The domain has had no key ceremony yet');
    for (const part of parts) {
      const index = findPart(domainId, part, domain.partChecks);
      if (index < 0) throw new DomainError('CEREMONY_PART_INVALID_ERR', 'A part in the parts file does not belong to this domain');
      this.keyring.addPart(domainId, 'unseal', index, Buffer.from(part));
    }
    await this.activate(domainId, domain.generation, domain.threshold, domain.masterCheck, 'unseal');
  }

  async seal(domainId: string): Promise<ReplicaProgress> {
    const domain = await this.domain(domainId);
    const wasActive = this.keyring.isActive(domainId);
    // Stop serving first, so no request runs against a key being zeroized.
    if (wasActive) await this.listener?.deactivated(domainId);
    this.dropAwaitingRotation(domainId);
    this.keyring.seal(domainId);
    this.cache.forgetDomain(domainId);
    if (wasActive) {
      this.logger.info({ domainId }, 'domain sealed');
      await this.heartbeat();
    }
    return this.progress(domainId, domain);
  }

  async sealAll(): Promise<void> {
    for (const domainId of this.keyring.activeDomains()) await this.listener?.deactivated(domainId);
    for (const domainId of [...this.awaitingRotation.keys()]) this.dropAwaitingRotation(domainId);
    this.keyring.sealAll();
    this.cache.clear();
  }

  /** A part of the rotation ceremony. At its threshold this replica holds the next master key too. */
  async submitRotationPart(domainId: string, encryptedPart: string): Promise<ReplicaProgress> {
    const domain = await this.domain(domainId);
    if (!this.keyring.isActive(domainId) && !this.awaitingRotation.has(domainId)) {
      throw new DomainError('DOMAIN_STATE_ERR', 'Unseal the domain before rotating its master key');
    }
    if (!domain.pendingMasterCheck || !domain.pendingThreshold) throw new DomainError('DOMAIN_STATE_ERR', 'No rotation ceremony is under way');
    const next = domain.generation + 1;
    if (this.keyring.key(domainId, next)) {
      // Already loaded here: resume the job (a previous run may have stopped) and report.
      void this.rotationJob?.start(domainId, domain.generation, next);
    } else {
      const part = await this.decryptPart(domain, encryptedPart);
      const index = findPart(domainId, part, domain.pendingPartChecks);
      if (index < 0) {
        zeroize(part);
        throw new DomainError('CEREMONY_PART_INVALID_ERR', 'The part does not match any part of the rotation ceremony');
      }
      if (this.keyring.addPart(domainId, 'rotate', index, part) >= domain.pendingThreshold) {
        await this.activate(domainId, next, domain.pendingThreshold, domain.pendingMasterCheck, 'rotate');
        void this.rotationJob?.start(domainId, domain.generation, next);
      }
    }
    return this.progress(domainId, domain);
  }

  stateOf(domain: DomainRecord): DomainStatus['state'] {
    if (!domain.masterCheck) return 'uninitialized';
    return this.keyring.isActive(domain.id) ? 'active' : 'sealed';
  }

  async domain(domainId: string): Promise<DomainRecord> {
    const domain = await this.repository.findDomain(domainId);
    if (!domain) throw new DomainError('DOMAIN_NOT_FOUND_ERR', `HSM domain ${domainId} does not exist`);
    return domain;
  }

  private progress(domainId: string, domain: DomainRecord): ReplicaProgress {
    const next = domain.generation + 1;
    return {
      replicaId: this.replicaId,
      domainId,
      state: this.stateOf(domain),
      threshold: domain.threshold,
      submitted: this.keyring.submitted(domainId, 'unseal'),
      generation: domain.generation,
      ...(domain.pendingMasterCheck
        ? { rotation: { generation: next, submitted: this.keyring.submitted(domainId, 'rotate'), ready: Boolean(this.keyring.key(domainId, next)) } }
        : {}),
      ...(this.awaitingRotation.has(domainId) ? { awaitingRotationParts: true } : {}),
    };
  }

  private async activate(domainId: string, generation: number, threshold: number, masterCheck: string, purpose: 'unseal' | 'rotate'): Promise<void> {
    let masterKey: Buffer;
    try {
      masterKey = await combineParts(this.keyring.partsFor(domainId, purpose), threshold, masterCheck);
    } catch {
      this.keyring.clearParts(domainId);
      throw new DomainError('CEREMONY_PART_INVALID_ERR', 'The submitted parts do not rebuild the master key');
    }
    this.keyring.clearParts(domainId);
    await this.activateWith(domainId, generation, this.backend.load(masterKey), purpose);
  }

  /** Holds `key` as the domain's master key of `generation` here, and starts serving the domain. */
  async activateWith(domainId: string, generation: number, key: MasterKey, purpose: 'unseal' | 'rotate' = 'unseal'): Promise<void> {
    if (purpose === 'unseal' && (await this.rotationMovedObjects(domainId, generation))) {
      this.dropAwaitingRotation(domainId);
      this.awaitingRotation.set(domainId, { generation, key });
      this.logger.warn({ domainId, generation }, 'master key loaded, domain kept sealed: a rotation job was under way, submit the rotation parts too');
      return;
    }
    const wasActive = this.keyring.isActive(domainId);
    const awaiting = this.awaitingRotation.get(domainId);
    if (purpose === 'rotate' && awaiting) {
      this.awaitingRotation.delete(domainId);
      this.keyring.add(domainId, awaiting.generation, awaiting.key);
    }
    this.keyring.add(domainId, generation, key);
    this.logger.info({ domainId, generation, purpose, backend: this.backend.kind }, purpose === 'unseal' ? 'domain unsealed' : 'next master key loaded');
    if (!wasActive) await this.listener?.activated(domainId);
    await this.heartbeat();
  }

  /**
   * Whether a rotation from `generation` is pending and its job has already sealed key objects under
   * the next generation: serving with only `generation` would fail on those.
   */
  private async rotationMovedObjects(domainId: string, generation: number): Promise<boolean> {
    if (this.keyring.key(domainId, generation + 1)) return false;
    const domain = await this.domain(domainId);
    if (!domain.pendingMasterCheck || domain.generation !== generation) return false;
    return this.repository.hasObjectsUnderGeneration(domainId, generation + 1);
  }

  private dropAwaitingRotation(domainId: string): void {
    this.awaitingRotation.get(domainId)?.key.destroy();
    this.awaitingRotation.delete(domainId);
  }

  private async decryptPart(domain: DomainRecord, encryptedPart: string): Promise<Buffer> {
    const privateKey = this.ceremonyPrivateKey(domain);
    try {
      return hybridDecrypt(privateKey, encryptedPart);
    } catch (error) {
      if (error instanceof CryptoError) {
        throw new DomainError('CEREMONY_PART_INVALID_ERR', 'The part is not encrypted to this domain\'s ceremony key', { target: { type: 'field', name: 'encryptedPart' } });
      }
      throw error;
    }
  }

  private ceremonyPrivateKey(domain: DomainRecord): KeyObject {
    if (!domain.ceremonyPrivateKeyBlob) throw new DomainError('DOMAIN_STATE_ERR', 'The domain has no ceremony key yet');
    let der: Buffer;
    try {
      der = openKeyObject(this.storageKey, CEREMONY_KEY_BINDING(domain.id), domain.ceremonyPrivateKeyBlob);
    } catch {
      throw new DomainError('DOMAIN_STATE_ERR', 'This replica cannot open the domain\'s ceremony key: check KEYWARD_HSM_STORAGE_KEY');
    }
    try {
      return importPrivateKeyDer(der);
    } finally {
      zeroize(der);
    }
  }

  /** The domain's ceremony key pair: made once, kept (private half under the storage key). */
  private async ensureCeremonyKey(domain: DomainRecord): Promise<string> {
    if (domain.ceremonyPublicKey && domain.ceremonyPrivateKeyBlob) {
      try {
        this.ceremonyPrivateKey(domain);
        return domain.ceremonyPublicKey;
      } catch {
        this.logger.warn({ domainId: domain.id }, 'ceremony key unreadable with this storage key: making a new one');
      }
    }
    const pair = await generateRsaKeyPairAsync(4096);
    const der = exportPrivateKeyDer(pair.privateKey);
    try {
      await this.repository.setCeremonyKey(domain.id, pair.publicKeyPem, sealKeyObject(this.storageKey, CEREMONY_KEY_BINDING(domain.id), der));
    } finally {
      zeroize(der);
    }
    return pair.publicKeyPem;
  }
}
