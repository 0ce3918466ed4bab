import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  DomainError,
  type ImportMaterial,
  PLATFORM_DOMAIN_ID,
  keyGenerateRequestSchema,
  keyImportRequestSchema,
  keyRotateRequestSchema,
  unwrapRequestSchema,
  wrapRequestSchema,
} from '@keyward/contracts';
import {
  CryptoError,
  type KeyObjectBinding,
  MAX_WRAP_PLAINTEXT_BYTES,
  aesGcmDecrypt,
  exportPrivateKeyDer,
  generateAesKey,
  generateRsaKeyPairAsync,
  importPrivateKeyDer,
  parseCiphertext,
  rsaOaepDecrypt,
  unwrapParsed,
  wrapDek,
  zeroize,
} from '@keyward/crypto';
import { parsePayload, toDomainError } from '@keyward/platform';
import { reportError } from '@keyward/platform';
import type { KeyObjectRecord, KeyStoreRepository, NewKeyVersion } from '../keystore/key-store.repository';
import type { MasterKeyring } from '../domains/master-keyring';
import type { MasterKey } from '../backends/master-key-backend';
import { importKeyPairBinding } from '../domains/master-key-rotation.job';
import type { KeyCache } from './key-cache';

type WrapRequest = z.output<typeof wrapRequestSchema>;
type UnwrapRequest = z.output<typeof unwrapRequestSchema>;

/**
 * Lookups shared by the items of one batch: a batch names few keys, so each key's record and newest
 * version are read once per batch instead of once per item (a batch is answered in one go, so a state
 * change racing it applies from the next request on, as for a single request in flight).
 */
type BatchMemo = Map<string, Promise<{ key: KeyObjectRecord; latest: number }>>;

const field = (name: string) => ({ target: { type: 'field' as const, name } });
const unprocessable = () => new DomainError('UNPROCESSABLE_CIPHERTEXT_ERR');

/**
 * Every key operation of one replica (software backend): key objects are sealed under the domain's
 * master key held in this process's keyring, and opened here to wrap and unwrap. Plain class.
 * Plaintext material lives in Buffers that are zeroized once used (cached copies when evicted).
 */
export class KeyOperations {
  constructor(
    private readonly repository: KeyStoreRepository,
    private readonly keyring: MasterKeyring,
    private readonly cache: KeyCache,
    private readonly logger: Logger,
  ) {}

  async generate(domainId: string, request: z.output<typeof keyGenerateRequestSchema>) {
    const bytes = (request.kind === 'standard' ? 32 : request.bits / 8) as 16 | 24 | 32;
    const material = generateAesKey(bytes);
    try {
      return await this.createKey(domainId, request.kind, material, false);
    } finally {
      zeroize(material);
    }
  }

  async import(domainId: string, request: z.output<typeof keyImportRequestSchema>) {
    const material = await this.importedMaterial(domainId, request.kind, request.payload);
    try {
      return await this.createKey(domainId, request.kind, material, true);
    } finally {
      zeroize(material);
    }
  }

  async rotate(domainId: string, request: z.output<typeof keyRotateRequestSchema>) {
    const key = await this.usableKey(domainId, request.keyId);
    const first = await this.repository.findVersion(key.id, 1);
    const imported = first?.imported ?? false;
    if (imported && !request.payload) throw new DomainError('KEY_PAYLOAD_REQ_ERR');
    if (!imported && request.payload) throw new DomainError('INVALID_FIELD_ERR', 'A generated key rotates without a payload', field('payload'));
    const material = request.payload ? await this.importedMaterial(domainId, key.kind, request.payload) : generateAesKey((key.bits / 8) as 16 | 24 | 32);
    try {
      // An imported key may take material of another valid size (the official Node SDK's test rotates 128 → 256 bits).
      const version = await this.repository.addVersion(key.id, (next) => this.sealVersion(domainId, key.id, next, material, imported));
      this.cache.forgetRecord(domainId, key.id);
      return { keyId: key.id, version, bits: material.length * 8 };
    } finally {
      zeroize(material);
    }
  }

  async setState(domainId: string, keyId: string, state: 'active' | 'suspended') {
    await this.existingKey(domainId, keyId);
    if (!(await this.repository.setKeyState(domainId, keyId, state))) throw new DomainError('KEY_OBJECT_DESTROYED_ERR');
    this.cache.forgetKey(domainId, keyId);
    return { keyId, state };
  }

  /** Crypto-shredding: every version's sealed material is erased; nothing can unwrap afterwards. */
  async destroy(domainId: string, keyId: string) {
    await this.existingKey(domainId, keyId);
    await this.repository.destroyKey(domainId, keyId);
    this.cache.forgetKey(domainId, keyId);
    this.logger.info({ domainId, keyId }, 'key object destroyed');
    return { keyId, state: 'destroyed' as const };
  }

  async export(domainId: string, keyId: string, version?: number) {
    const key = await this.usableKey(domainId, keyId);
    if (key.kind !== 'standard') throw new DomainError('KEY_OBJECT_NOT_EXPORTABLE_ERR');
    const record = version ? await this.repository.findVersion(keyId, version) : await this.repository.latestVersion(keyId);
    if (!record) throw new DomainError('INVALID_FIELD_ERR', 'The key has no such version', field('version'));
    const material = await this.material(domainId, keyId, record.version);
    return { keyId, version: record.version, material: material.toString('base64') };
  }

  async wrap(domainId: string, request: WrapRequest, memo?: BatchMemo) {
    const { key, latest } = await this.rootKey(domainId, request.keyId, memo);
    const generated = request.plaintext === undefined;
    const plaintext = generated ? randomBytes(32) : Buffer.from(request.plaintext as string, 'base64');
    try {
      if (plaintext.length > MAX_WRAP_PLAINTEXT_BYTES) {
        throw new DomainError('INVALID_FIELD_ERR', `The plaintext has at most ${MAX_WRAP_PLAINTEXT_BYTES} bytes`, field('plaintext'));
      }
      const material = await this.material(domainId, key.id, latest);
      const ciphertext = this.crypto(() => wrapDek({ key: material, keyId: key.id, version: latest, plaintext, aad: request.aad ?? [] }), 'aad');
      return { ciphertext, keyVersion: latest, ...(generated ? { plaintext: plaintext.toString('base64') } : {}) };
    } finally {
      zeroize(plaintext);
    }
  }

  async unwrap(domainId: string, request: UnwrapRequest, memo?: BatchMemo) {
    const { plaintext, version, key, latest } = await this.open(domainId, request, memo);
    try {
      const result = { plaintext: plaintext.toString('base64'), keyVersion: version, latestVersion: latest };
      if (version >= latest) return result;
      const material = await this.material(domainId, key.id, latest);
      const rewrapped = wrapDek({ key: material, keyId: key.id, version: latest, plaintext, aad: request.aad ?? [] });
      return { ...result, rewrapped: { ciphertext: rewrapped, keyVersion: latest } };
    } finally {
      zeroize(plaintext);
    }
  }

  async rewrap(domainId: string, request: UnwrapRequest) {
    const { plaintext, version, key, latest } = await this.open(domainId, request);
    try {
      const material = await this.material(domainId, key.id, latest);
      const ciphertext = wrapDek({ key: material, keyId: key.id, version: latest, plaintext, aad: request.aad ?? [] });
      return { ciphertext, keyVersion: latest, unwrappedVersion: version };
    } finally {
      zeroize(plaintext);
    }
  }

  wrapBatch(domainId: string, items: unknown[]) {
    const memo: BatchMemo = new Map();
    return this.batch(items, (item) => this.wrap(domainId, parsePayload(wrapRequestSchema, item, 'INVALID_FIELD_ERR'), memo));
  }

  unwrapBatch(domainId: string, items: unknown[]) {
    const memo: BatchMemo = new Map();
    return this.batch(items, (item) => this.unwrap(domainId, parsePayload(unwrapRequestSchema, item, 'INVALID_FIELD_ERR'), memo));
  }

  /** An RSA-4096 pair for an import token; the private half never leaves the HSM (sealed like a key). */
  async createImportKeyPair(domainId: string) {
    const generation = this.newestGeneration(domainId);
    const id = randomUUID();
    const pair = await generateRsaKeyPairAsync(4096);
    const der = exportPrivateKeyDer(pair.privateKey);
    try {
      const privateBlob = this.masterKey(domainId, generation).seal(importKeyPairBinding(domainId, id, generation), der);
      await this.repository.createImportKeyPair({ id, domainId, publicKey: pair.publicKeyPem, generation, privateBlob });
    } finally {
      zeroize(der);
    }
    return { keyPairId: id, publicKey: pair.publicKeyPem };
  }

  // ---------------------------------------------------------------------------------------------

  private async batch<T>(items: unknown[], run: (item: unknown) => Promise<T>) {
    const results = [];
    // In order, one at a time: a batch is bounded (1,000) and each item is microseconds of AES.
    for (const item of items) {
      try {
        results.push({ ok: true as const, result: await run(item) });
      } catch (error) {
        const mapped = toDomainError(error);
        reportError(this.logger, mapped, 'batch item');
        results.push({ ok: false as const, error: mapped.toWire() });
      }
    }
    return { results };
  }

  private async open(domainId: string, request: UnwrapRequest, memo?: BatchMemo) {
    let { key, latest } = await this.rootKey(domainId, request.keyId, memo);
    const parsed = this.crypto(() => parseCiphertext(request.ciphertext), 'ciphertext');
    if (parsed.keyId === key.id && parsed.version > latest) {
      // Another replica may have rotated the key within the record TTL: read the record again once.
      this.cache.forgetRecord(domainId, key.id);
      ({ key, latest } = await this.rootKey(domainId, request.keyId));
    }
    // A ciphertext names its key: one made by another key is not this key's to open.
    if (parsed.keyId !== key.id || parsed.version > latest) throw unprocessable();
    const material = await this.material(domainId, key.id, parsed.version);
    const plaintext = this.crypto(() => unwrapParsed(parsed, material, request.aad ?? []), 'aad');
    return { plaintext, version: parsed.version, key, latest };
  }

  /** Maps libs/crypto's refusals to the error table; anything else stays an internal error. */
  private crypto<T>(run: () => T, inputField: string): T {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof CryptoError)) throw error;
      if (error.reason === 'invalid-input') throw new DomainError('INVALID_FIELD_ERR', error.message, field(inputField));
      throw unprocessable();
    }
  }

  private async createKey(domainId: string, kind: 'root' | 'standard', material: Buffer, imported: boolean) {
    const id = randomUUID();
    const first = this.sealVersion(domainId, id, 1, material, imported);
    const bits = material.length * 8;
    await this.repository.createKey({ id, domainId, kind, bits: bits as 128 | 192 | 256 }, first);
    return { keyId: id, version: 1, bits };
  }

  private sealVersion(domainId: string, keyId: string, version: number, material: Buffer, imported: boolean): NewKeyVersion {
    const generation = this.newestGeneration(domainId);
    const blob = this.masterKey(domainId, generation).seal({ domainId, keyId, version, generation }, material);
    return { version, generation, blob, imported };
  }

  /** A version's plaintext material: from the cache, or opened from its key object (then cached). */
  private async material(domainId: string, keyId: string, version: number): Promise<Buffer> {
    const cached = this.cache.get(domainId, keyId, version);
    if (cached) return cached;
    const record = await this.repository.findVersion(keyId, version);
    if (!record) throw unprocessable();
    if (!record.blob) throw new DomainError('KEY_OBJECT_DESTROYED_ERR');
    const binding: KeyObjectBinding = { domainId, keyId, version, generation: record.generation };
    let material: Buffer;
    try {
      material = this.masterKey(domainId, record.generation).open(binding, record.blob);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      // A key object that does not open under its own master key is corruption, not the caller's fault.
      throw new DomainError('INTERNAL_ERR', undefined, { cause: new Error(`key object ${keyId}/${version} did not open`) });
    }
    this.cache.set(domainId, keyId, version, material);
    const copy = this.cache.get(domainId, keyId, version) ?? Buffer.from(material);
    zeroize(material);
    return copy;
  }

  private masterKey(domainId: string, generation: number): MasterKey {
    const key = this.keyring.key(domainId, generation);
    // Subscriptions exist only while the domain is active; this is a request racing a seal or a rotation.
    if (!key) throw new DomainError('DOMAIN_SEALED_ERR', 'This replica does not hold the master key the key object needs');
    return key;
  }

  private newestGeneration(domainId: string): number {
    const generation = this.keyring.newestGeneration(domainId);
    if (generation === undefined) throw new DomainError('DOMAIN_SEALED_ERR');
    return generation;
  }

  /** A usable root key and its newest version number (memoized within a batch). */
  private rootKey(domainId: string, keyId: string, memo?: BatchMemo): Promise<{ key: KeyObjectRecord; latest: number }> {
    const cached = memo?.get(keyId);
    if (cached) return cached;
    const lookup = (async () => {
      const remembered = this.cache.getRecord<{ key: KeyObjectRecord; latest: number }>(domainId, keyId);
      if (remembered) return remembered;
      const found = await this.repository.findKeyWithLatest(domainId, keyId);
      if (!found || found.latest === null) throw new DomainError('KEY_OBJECT_NOT_FOUND_ERR');
      const { latest, ...key } = found;
      this.assertUsable(key);
      if (key.kind !== 'root') throw new DomainError('KEY_ROOT_REQ_ERR');
      this.cache.setRecord(domainId, keyId, { key, latest });
      return { key, latest };
    })();
    memo?.set(keyId, lookup);
    // A failed lookup is remembered too (same answer for every item of the batch); avoid an unhandled rejection.
    lookup.catch(() => undefined);
    return lookup;
  }

  private async existingKey(domainId: string, keyId: string): Promise<KeyObjectRecord> {
    const key = await this.repository.findKey(domainId, keyId);
    if (!key) throw new DomainError('KEY_OBJECT_NOT_FOUND_ERR');
    return key;
  }

  private async usableKey(domainId: string, keyId: string): Promise<KeyObjectRecord> {
    const key = await this.existingKey(domainId, keyId);
    this.assertUsable(key);
    return key;
  }

  private assertUsable(key: KeyObjectRecord): void {
    // Another replica may have changed the state: drop this replica's cached material too.
    if (key.state !== 'active') this.cache.forgetKey(key.domainId, key.id);
    if (key.state === 'destroyed') throw new DomainError('KEY_OBJECT_DESTROYED_ERR');
    if (key.state === 'suspended') throw new DomainError('KEY_OBJECT_SUSPENDED_ERR');
  }

  private async importedMaterial(domainId: string, kind: 'root' | 'standard', payload: ImportMaterial): Promise<Buffer> {
    const material = 'material' in payload ? Buffer.from(payload.material, 'base64') : await this.unwrapImportToken(domainId, payload.importToken);
    const valid = kind === 'root' ? [16, 24, 32].includes(material.length) : material.length >= 1 && material.length <= 4096;
    if (!valid) {
      zeroize(material);
      throw new DomainError('INVALID_FIELD_ERR', kind === 'root' ? 'A root key has 16, 24 or 32 bytes' : 'A standard key has 1 to 4096 bytes', field('payload'));
    }
    return material;
  }

  /**
   * Import-token path (Key Protect): RSA-OAEP with the pair's private half, then the AES-GCM
   * encrypted nonce must open, under the imported key, to the nonce the KMS issued.
   */
  private async unwrapImportToken(domainId: string, token: Extract<ImportMaterial, { importToken: unknown }>['importToken']): Promise<Buffer> {
    if (token.encryptionAlgorithm === 'RSAES_OAEP_SHA_1' && domainId === PLATFORM_DOMAIN_ID) {
      throw new DomainError('INVALID_FIELD_ERR', 'RSAES_OAEP_SHA_1 is accepted only for Hyper Protect Crypto Services instances', field('encryptionAlgorithm'));
    }
    const pair = await this.repository.findImportKeyPair(domainId, token.keyPairId);
    if (!pair) throw new DomainError('IMPORT_KEYPAIR_NOT_FOUND_ERR');
    const der = this.masterKey(domainId, pair.generation).open(importKeyPairBinding(domainId, pair.id, pair.generation), pair.privateBlob);
    const privateKey = importPrivateKeyDer(der);
    zeroize(der);
    let material: Buffer;
    try {
      material = rsaOaepDecrypt(privateKey, Buffer.from(token.encryptedKey, 'base64'), token.encryptionAlgorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256');
    } catch {
      throw new DomainError('IMPORT_PAYLOAD_INVALID_ERR');
    }
    const iv = Buffer.from(token.iv, 'base64');
    if (iv.length !== 12 || ![16, 24, 32].includes(material.length)) {
      zeroize(material);
      throw new DomainError('INCORRECT_NONCE_IV_ERR');
    }
    let nonce: Buffer;
    try {
      nonce = aesGcmDecrypt(material, iv, Buffer.from(token.encryptedNonce, 'base64'), Buffer.alloc(0));
    } catch {
      zeroize(material);
      throw new DomainError('INCORRECT_NONCE_ERR');
    }
    if (!nonce.equals(Buffer.from(token.nonce, 'base64'))) {
      zeroize(material);
      throw new DomainError('INCORRECT_NONCE_ERR');
    }
    return material;
  }
}
