import { randomBytes } from 'node:crypto';
import { DomainError, type KmsKeyEvent } from '@keyward/contracts';
import { isKeyId } from '../key-crn';
import type { KeyRef, KmsClient } from '../kms-client';
import { KmsClientError } from '../kms-client-error';
import { DEK_BYTES, openWithDek, sealWithDek } from './aes-gcm';

/** A DEK as the consumer stores it: wrapped by the customer's root key, never in plaintext. */
export interface WrappedDataKey {
  ref: KeyRef;
  /** The KMS's ciphertext of the DEK (opaque, base64). */
  wrappedDek: string;
  /** The root key version that wrapped it. */
  keyVersionId: string;
  /** AAD given to the KMS when wrapping; repeated on every unwrap and rewrap. */
  kmsAad?: string[];
}

export interface EnvelopeEncryptionOptions {
  client: Pick<KmsClient, 'wrap' | 'unwrap' | 'rewrap'>;
  /**
   * How long a DEK stays cached (default 5 min). Events wipe it at once on the replica that gets them;
   * the age bounds how long any replica can go on using a DEK whose key was disabled meanwhile.
   */
  maxAgeMs?: number;
  /** At most this many DEKs in memory (default 1,000); the oldest is wiped first. */
  maxEntries?: number;
  /** Key Protect's restore window, for "restorable until" (default 30 days). */
  restoreWindowMs?: number;
  /**
   * The KMS answered an unwrap with the DEK under the key's newest version (the key was rotated):
   * the consumer should store `current` in place of `previous`.
   */
  onRewrapped?: (previous: WrappedDataKey, current: WrappedDataKey) => void | Promise<void>;
  now?: () => number;
  /** Where new DEKs come from (node:crypto's randomBytes; tests keep a reference to check zeroization). */
  randomBytes?: (size: number) => Buffer;
}

interface CachedDek {
  dek: Buffer;
  keyId: string;
  instanceId: string;
  cachedAt: number;
  /** Set when the DEK was zeroized: a holder must look it up again. */
  wiped: boolean;
}

/** Why a key may not be used, from its last lifecycle event (until an enabled or restored event). */
interface KeyBlock {
  eventType: KmsKeyEvent['eventType'];
  keyState: number;
  timestamp: string;
  at: number;
}

const WIPING_EVENTS: ReadonlySet<KmsKeyEvent['eventType']> = new Set(['key.disabled', 'key.deleted', 'key.purged']);
const UNBLOCKING_EVENTS: ReadonlySet<KmsKeyEvent['eventType']> = new Set(['key.enabled', 'key.restored']);

/**
 * Envelope encryption for a consumer's data: AES-256-GCM with AAD under a DEK generated here
 * (node:crypto) and wrapped by the customer's root key through the KMS. Plaintext DEKs live only in
 * this cache, are zeroized (`fill(0)`) when a disabled, deleted or purged event arrives, when they age
 * out or are evicted, and never appear in a log line or an error.
 */
export class EnvelopeEncryption {
  private readonly cache = new Map<string, CachedDek>();
  private readonly pending = new Map<string, Promise<CachedDek>>();
  private readonly blocks = new Map<string, KeyBlock>();
  /** Bumped when a key's DEKs are wiped, so an unwrap already under way does not cache its result. */
  private readonly generations = new Map<string, number>();

  constructor(private readonly options: EnvelopeEncryptionOptions) {}

  /** Makes a new DEK (32 random bytes), has the root key wrap it, and caches it. */
  async createDataKey(ref: KeyRef, options: { kmsAad?: string[] } = {}): Promise<WrappedDataKey> {
    this.assertUsable(ref);
    const dek = (this.options.randomBytes ?? randomBytes)(DEK_BYTES);
    try {
      const wrapped = await this.options.client.wrap(ref, { plaintext: dek.toString('base64'), ...(options.kmsAad ? { aad: options.kmsAad } : {}) });
      const dataKey: WrappedDataKey = { ref, wrappedDek: wrapped.ciphertext, keyVersionId: wrapped.keyVersion.id, ...(options.kmsAad ? { kmsAad: options.kmsAad } : {}) };
      this.store(dataKey, dek);
      return dataKey;
    } catch (error) {
      dek.fill(0);
      throw error;
    }
  }

  /** Encrypts `plaintext` under the data key; `aad` binds it to its context (tenant, table, row, field). */
  async encrypt(dataKey: WrappedDataKey, plaintext: Buffer | string, aad: string): Promise<string> {
    return this.withDek(dataKey, (dek) => sealWithDek(dek, typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext, aad));
  }

  async decrypt(dataKey: WrappedDataKey, sealed: string, aad: string): Promise<Buffer> {
    return this.withDek(dataKey, (dek) => openWithDek(dek, sealed, aad));
  }

  async decryptToString(dataKey: WrappedDataKey, sealed: string, aad: string): Promise<string> {
    return (await this.decrypt(dataKey, sealed, aad)).toString('utf8');
  }

  /** After a rotation: the same DEK wrapped by the key's newest version (the consumer stores the result). */
  async rewrap(dataKey: WrappedDataKey): Promise<WrappedDataKey> {
    this.assertUsable(dataKey.ref);
    const result = await this.options.client.rewrap(dataKey.ref, { ciphertext: dataKey.wrappedDek, ...(dataKey.kmsAad ? { aad: dataKey.kmsAad } : {}) });
    const current: WrappedDataKey = { ...dataKey, wrappedDek: result.ciphertext, keyVersionId: (result.rewrappedKeyVersion ?? result.keyVersion).id };
    const cached = this.cache.get(cacheKey(dataKey));
    if (cached) {
      // The DEK itself is unchanged: keep it under its new wrapped form.
      this.cache.delete(cacheKey(dataKey));
      cached.cachedAt = this.now();
      this.cache.set(cacheKey(current), cached);
    }
    return current;
  }

  /** Unwraps now (after an enabled or restored event), so the next read needs no KMS call. */
  async refresh(dataKey: WrappedDataKey): Promise<void> {
    this.wipeEntry(cacheKey(dataKey));
    await this.withDek(dataKey, () => undefined);
  }

  /**
   * Applies a lifecycle event of the key to this replica's cache and to the data keys the consumer
   * holds under it: disabled/deleted/purged → every cached DEK of the key zeroized and the key refused
   * until enabled/restored; rotated → each data key rewrapped (returned for the consumer to store);
   * enabled/restored → refused no longer, each data key unwrapped afresh. Returns the data keys as they
   * are now (rewrapped after a rotation, unchanged otherwise).
   */
  async applyKeyEvent(event: KmsKeyEvent, dataKeys: readonly WrappedDataKey[] = []): Promise<WrappedDataKey[]> {
    const key = keyKey(event.instanceId, event.keyId);
    if (WIPING_EVENTS.has(event.eventType)) {
      this.blocks.set(key, { eventType: event.eventType, keyState: event.keyState, timestamp: event.timestamp, at: this.now() });
      this.wipeKey(event.instanceId, event.keyId);
      return [...dataKeys];
    }
    if (UNBLOCKING_EVENTS.has(event.eventType)) {
      this.blocks.delete(key);
      this.wipeKey(event.instanceId, event.keyId);
      // Unwrapping now only saves the next read a KMS call: a key no longer usable leaves it for then.
      for (const dataKey of dataKeys) await skipIfKeyUnusable(this.refresh(dataKey));
      return [...dataKeys];
    }
    if (event.eventType === 'key.rotated') {
      const rewrapped: WrappedDataKey[] = [];
      for (const dataKey of dataKeys) {
        // The old wrapped form stays valid (unwrap answers the rewrapped one later: onRewrapped).
        rewrapped.push(dataKey.keyVersionId === event.newKeyVersionId ? dataKey : ((await skipIfKeyUnusable(this.rewrap(dataKey))) ?? dataKey));
      }
      return rewrapped;
    }
    // key.expired: the key is deactivated (unwrap still works, wrap does not); the KMS decides.
    return [...dataKeys];
  }

  /** Zeroizes every cached DEK (at shutdown). */
  wipeAll(): void {
    for (const key of [...this.cache.keys()]) this.wipeEntry(key);
  }

  /** How many DEKs are cached (for metrics and tests). */
  get cachedCount(): number {
    return this.cache.size;
  }

  /**
   * Runs `use` (synchronous, so no event can wipe the DEK in the middle) with the data key's DEK. A DEK
   * wiped between the cache lookup and `use` is looked up again: the key's block (if any) then applies.
   */
  private async withDek<T>(dataKey: WrappedDataKey, use: (dek: Buffer) => T): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const entry = await this.entryOf(dataKey);
      if (!entry.wiped) return use(entry.dek);
      if (attempt >= 3) throw new DomainError('SERVICE_UNAVAILABLE_ERR', `The root key ${dataKey.ref.keyId} keeps changing state: retry later`);
    }
  }

  private async entryOf(dataKey: WrappedDataKey): Promise<CachedDek> {
    this.assertUsable(dataKey.ref);
    const key = cacheKey(dataKey);
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.cachedAt < this.maxAgeMs) return cached;
    if (cached) this.wipeEntry(key);
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.unwrapAndCache(dataKey).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async unwrapAndCache(dataKey: WrappedDataKey): Promise<CachedDek> {
    const generation = this.generationOf(dataKey.ref);
    const result = await this.options.client.unwrap(dataKey.ref, { ciphertext: dataKey.wrappedDek, ...(dataKey.kmsAad ? { aad: dataKey.kmsAad } : {}) });
    const dek = Buffer.from(result.plaintext, 'base64');
    if (generation !== this.generationOf(dataKey.ref)) {
      // An event changed the key while the KMS answered: drop this DEK and look again.
      dek.fill(0);
      return { dek, keyId: dataKey.ref.keyId, instanceId: dataKey.ref.instanceId, cachedAt: 0, wiped: true };
    }
    const entry = this.store(dataKey, dek);
    if (result.ciphertext && result.rewrappedKeyVersion && this.options.onRewrapped) {
      await this.options.onRewrapped(dataKey, { ...dataKey, wrappedDek: result.ciphertext, keyVersionId: result.rewrappedKeyVersion.id });
    }
    return entry;
  }

  private store(dataKey: WrappedDataKey, dek: Buffer): CachedDek {
    const key = cacheKey(dataKey);
    this.wipeEntry(key);
    while (this.cache.size >= (this.options.maxEntries ?? 1000)) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.wipeEntry(oldest);
    }
    const entry: CachedDek = { dek, keyId: dataKey.ref.keyId, instanceId: dataKey.ref.instanceId, cachedAt: this.now(), wiped: false };
    this.cache.set(key, entry);
    return entry;
  }

  private wipeKey(instanceId: string, keyId: string): void {
    const key = keyKey(instanceId, keyId);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    for (const [entryKey, entry] of [...this.cache.entries()]) {
      if (entry.instanceId === instanceId && entry.keyId === keyId) this.wipeEntry(entryKey);
    }
  }

  private wipeEntry(key: string): void {
    const entry = this.cache.get(key);
    if (!entry) return;
    entry.dek.fill(0);
    entry.wiped = true;
    this.cache.delete(key);
  }

  private generationOf(ref: KeyRef): number {
    return this.generations.get(keyKey(ref.instanceId, ref.keyId)) ?? 0;
  }

  /** Refuses a key whose last event disabled, deleted or purged it, naming its state (DESIGN.md consumer behaviour). */
  private assertUsable(ref: KeyRef): void {
    if (!isKeyId(ref.keyId)) {
      // Events name the key by id: under an alias its DEKs would never be wiped on a disabled event.
      throw new DomainError('INVALID_FIELD_ERR', 'The root key must be named by its id, not an alias: lifecycle events name keys by id', { target: { type: 'field', name: 'keyId' } });
    }
    const block = this.blocks.get(keyKey(ref.instanceId, ref.keyId));
    if (!block) return;
    if (this.now() - block.at >= this.maxAgeMs && block.eventType !== 'key.purged') {
      // Another replica may have handled the enabling event: after the cache age, ask the KMS again.
      this.blocks.delete(keyKey(ref.instanceId, ref.keyId));
      return;
    }
    switch (block.eventType) {
      case 'key.purged':
        throw new DomainError('KMS_KEY_PURGED_ERR', `The root key ${ref.keyId} was purged: the data it protected is unrecoverable`);
      case 'key.deleted': {
        const until = new Date(Date.parse(block.timestamp) + (this.options.restoreWindowMs ?? 30 * 24 * 3600_000)).toISOString();
        throw new DomainError('KMS_KEY_UNAVAILABLE_ERR', `The root key ${ref.keyId} was deleted (state ${block.keyState}): the data cannot be read; the key is restorable until ${until}`);
      }
      default:
        throw new DomainError('KMS_KEY_UNAVAILABLE_ERR', `The root key ${ref.keyId} is disabled (state ${block.keyState}): the data cannot be read until the key is enabled again`);
    }
  }

  private get maxAgeMs(): number {
    return this.options.maxAgeMs ?? 5 * 60_000;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/**
 * Events are handled in order, but the key may have changed again since (a rotation handled after the
 * key was disabled, deleted or purged — that later event is on its way, or another replica's copy of it
 * already blocked the key here). Such a refusal is answered the same way every time, and throwing would
 * hold the consumer's every later event (strict order), so the step is skipped; anything else
 * (the KMS away, 401, 5xx) is thrown and the event retried.
 */
async function skipIfKeyUnusable<T>(step: Promise<T>): Promise<T | undefined> {
  try {
    return await step;
  } catch (error) {
    if (error instanceof DomainError && KEY_UNUSABLE_HERE.has(error.code)) return undefined;
    if (error instanceof KmsClientError && KEY_UNUSABLE_AT_KMS.has(error.status)) return undefined;
    throw error;
  }
}

/** Refused by this cache's own block (the key's disabled, deleted or purged event already seen here). */
const KEY_UNUSABLE_HERE: ReadonlySet<string> = new Set(['KMS_KEY_UNAVAILABLE_ERR', 'KMS_KEY_PURGED_ERR']);
/** The KMS: 404 the key is gone (purged), 409 its state (or a sealed domain), 410, 422 this ciphertext will never open. */
const KEY_UNUSABLE_AT_KMS: ReadonlySet<number> = new Set([404, 409, 410, 422]);

function keyKey(instanceId: string, keyId: string): string {
  return `${instanceId}/${keyId}`;
}

function cacheKey(dataKey: WrappedDataKey): string {
  return `${keyKey(dataKey.ref.instanceId, dataKey.ref.keyId)}/${dataKey.wrappedDek}`;
}
