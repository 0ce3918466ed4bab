import { zeroize } from '@keyward/crypto';

interface Entry {
  material: Buffer;
  expiresAt: number;
}

/**
 * Unsealed key-version material, kept only in this process so a wrap does not decrypt its key object
 * every time. Bounded in size (least recently used goes first) and age; every entry is zeroized when
 * it leaves: eviction, expiry, state change, destroy, seal.
 */
export class KeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

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
    this.removeWhere((id) => id.startsWith(`${domainId}/${keyId}/`));
  }

  forgetDomain(domainId: string): void {
    this.removeWhere((id) => id.startsWith(`${domainId}/`));
  }

  clear(): void {
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
