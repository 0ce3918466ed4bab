import { zeroize } from '@keyward/crypto';

interface Entry {
  material: Buffer;
  expiresAt: number;
}

/**
 * The default of KEYWARD_HSM_KEY_RECORD_TTL_MS: how long a root key's record (state, kind, newest
 * version: no material) is trusted without reading the database again. Short: another replica may disable, rotate or destroy the key, and the KMS —
 * which checks the state itself before every call — is the gate; this only keeps the database off the
 * hot path of every wrap. Changes made through this replica take effect here at once.
 */
export const KEY_RECORD_TTL_MS = 1000;

/**
 * Unsealed key-version material, kept only in this process so a wrap does not decrypt its key object
 * every time. Bounded in size (least recently used goes first) and age; every entry is zeroized when
 * it leaves: eviction, expiry, state change, destroy, seal. Beside it, briefly, the records that say
 * whether a root key is usable and which version is newest.
 */
export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly records = new Map<string, { record: unknown; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly recordTtlMs: number = KEY_RECORD_TTL_MS,
  ) {}

  /** A key's record, or undefined when absent or older than the record TTL. */
  getRecord<T>(domainId: string, keyId: string): T | undefined {
    const id = `${domainId}/${keyId}`;
    const entry = this.records.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.records.delete(id);
      return undefined;
    }
    return entry.record as T;
  }

  setRecord(domainId: string, keyId: string, record: unknown): void {
    if (this.records.size >= this.maxEntries) this.records.clear();
    this.records.set(`${domainId}/${keyId}`, { record, expiresAt: this.now() + this.recordTtlMs });
  }

  /** After a rotation: the newest version changed, the material of every version is still good. */
  forgetRecord(domainId: string, keyId: string): void {
    this.records.delete(`${domainId}/${keyId}`);
  }

  get(domainId: string, keyId: string, version: number): Buffer | undefined {
    const id = `${domainId}/${keyId}/${version}`;
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(id);
      return undefined;
    }
    // Re-insert: Map keeps insertion order, so the first key is the least recently used.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.material;
  }

  /** Stores a copy: the caller may zeroize its own buffer. */
  set(domainId: string, keyId: string, version: number, material: Buffer): void {
    const id = `${domainId}/${keyId}/${version}`;
    this.remove(id);
    this.entries.set(id, { material: Buffer.from(material), expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
  }

  forgetKey(domainId: string, keyId: string): void {
    this.forgetRecord(domainId, keyId);
    this.removeWhere((id) => id.startsWith(`${domainId}/${keyId}/`));
  }

  forgetDomain(domainId: string): void {
    for (const id of [...this.records.keys()]) if (id.startsWith(`${domainId}/`)) this.records.delete(id);
    this.removeWhere((id) => id.startsWith(`${domainId}/`));
  }

  clear(): void {
    this.records.clear();
    this.removeWhere(() => true);
  }

  get size(): number {
    return this.entries.size;
  }

  private removeWhere(predicate: (id: string) => boolean): void {
    for (const id of [...this.entries.keys()]) if (predicate(id)) this.remove(id);
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    zeroize(entry.material);
    this.entries.delete(id);
  }
}
