import { zeroize } from '@keyward/crypto';
import type { MasterKey } from '../backends/master-key-backend';

/**
 * This replica's unsealed master keys, by domain and generation, and the parts submitted so far.
 * Memory only: nothing here is ever written anywhere. A domain is "active" on this replica while it
 * holds at least one of its master keys. During a master-key rotation it holds two generations.
 */
export class MasterKeyring {
  private readonly keys = new Map<string, Map<number, MasterKey>>();
  private readonly parts = new Map<string, { purpose: 'unseal' | 'rotate'; byIndex: Map<number, Buffer> }>();

  isActive(domainId: string): boolean {
    return (this.keys.get(domainId)?.size ?? 0) > 0;
  }

  activeDomains(): string[] {
    return [...this.keys.keys()].filter((id) => this.isActive(id));
  }

  key(domainId: string, generation: number): MasterKey | undefined {
    return this.keys.get(domainId)?.get(generation);
  }

  /** The newest generation this replica holds: new key objects are sealed under it. */
  newestGeneration(domainId: string): number | undefined {
    const generations = [...(this.keys.get(domainId)?.keys() ?? [])];
    return generations.length ? Math.max(...generations) : undefined;
  }

  add(domainId: string, generation: number, masterKey: MasterKey): void {
    const byGeneration = this.keys.get(domainId) ?? new Map<number, MasterKey>();
    const previous = byGeneration.get(generation);
    if (previous && previous !== masterKey) previous.destroy();
    byGeneration.set(generation, masterKey);
    this.keys.set(domainId, byGeneration);
  }

  /** Drops generations older than `generation` (after a rotation has moved every key object). */
  retireBelow(domainId: string, generation: number): void {
    const byGeneration = this.keys.get(domainId);
    if (!byGeneration) return;
    for (const [held, key] of byGeneration) {
      if (held < generation) {
        key.destroy();
        byGeneration.delete(held);
      }
    }
  }

  /** Records a verified part; returns how many distinct parts are held for that purpose. */
  addPart(domainId: string, purpose: 'unseal' | 'rotate', index: number, part: Buffer): number {
    let entry = this.parts.get(domainId);
    if (!entry || entry.purpose !== purpose) {
      this.clearParts(domainId);
      entry = { purpose, byIndex: new Map() };
      this.parts.set(domainId, entry);
    }
    const previous = entry.byIndex.get(index);
    if (previous) zeroize(previous);
    entry.byIndex.set(index, part);
    return entry.byIndex.size;
  }

  partsFor(domainId: string, purpose: 'unseal' | 'rotate'): Buffer[] {
    const entry = this.parts.get(domainId);
    return entry && entry.purpose === purpose ? [...entry.byIndex.values()] : [];
  }

  submitted(domainId: string, purpose: 'unseal' | 'rotate'): number {
    return this.partsFor(domainId, purpose).length;
  }

  clearParts(domainId: string): void {
    const entry = this.parts.get(domainId);
    if (entry) for (const part of entry.byIndex.values()) zeroize(part);
    this.parts.delete(domainId);
  }

  seal(domainId: string): void {
    this.clearParts(domainId);
    for (const key of this.keys.get(domainId)?.values() ?? []) key.destroy();
    this.keys.delete(domainId);
  }

  sealAll(): void {
    for (const domainId of [...this.keys.keys(), ...this.parts.keys()]) this.seal(domainId);
  }
}
