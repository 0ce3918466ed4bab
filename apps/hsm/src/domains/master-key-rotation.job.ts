import type { Logger } from 'pino';
import type { KeyStoreRepository } from '../keystore/key-store.repository';
import type { MasterKeyring } from './master-keyring';

/**
 * Re-encrypts every key object of a domain from master-key generation `from` to `to`, page by page.
 * Resumable and safe to run on several replicas at once: its only state is each version's
 * `generation` column, and each move is a conditional update (a version already moved or destroyed
 * is left alone). Keys stay usable throughout: a replica holds both master keys while it runs, and
 * opens each key object with the generation recorded next to it.
 * When nothing is left under `from`, the pending ceremony is promoted to the domain's master key.
 */
export class MasterKeyRotationJob {
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly repository: KeyStoreRepository,
    private readonly keyring: MasterKeyring,
    private readonly logger: Logger,
    private readonly pageSize = 100,
  ) {}

  /** Starts (or joins) the job for `domainId`; resolves when it has finished or failed (logged). */
  start(domainId: string, from: number, to: number): Promise<void> {
    const existing = this.running.get(domainId);
    if (existing) return existing;
    const job = this.run(domainId, from, to)
      .catch((error: unknown) => this.logger.error({ domainId, from, to, err: error }, 'master-key rotation stopped; it resumes at the next rotate-master-key'))
      .finally(() => this.running.delete(domainId));
    this.running.set(domainId, job);
    return job;
  }

  /** At shutdown: stop after the current key object, before the master keys are zeroized. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.running.values()]);
  }

  private async run(domainId: string, from: number, to: number): Promise<void> {
    let moved = 0;
    this.logger.info({ domainId, from, to }, 'master-key rotation started');
    moved += await this.sweep(domainId, from, to);
    if (await this.repository.promotePendingCeremony(domainId, from)) {
      this.logger.info({ domainId, generation: to }, 'master key rotated');
    }
    // Objects a request sealed under the old key while the first sweep ran.
    moved += await this.sweep(domainId, from, to);
    this.logger.info({ domainId, from, to, moved }, 'master-key rotation finished');
  }

  private async sweep(domainId: string, from: number, to: number): Promise<number> {
    const oldKey = this.keyring.key(domainId, from);
    const newKey = this.keyring.key(domainId, to);
    if (!oldKey || !newKey) throw new Error('this replica does not hold both master keys');
    let moved = 0;
    for (;;) {
      const page = await this.repository.versionsUnderGeneration(domainId, from, this.pageSize);
      if (page.length === 0) break;
      for (const version of page) {
        if (this.stopped) throw new Error('stopped by shutdown');
        if (!version.blob) continue;
        const material = oldKey.open({ domainId, keyId: version.keyId, version: version.version, generation: from }, version.blob);
        try {
          const blob = newKey.seal({ domainId, keyId: version.keyId, version: version.version, generation: to }, material);
          await this.repository.reencryptVersion(version.keyId, version.version, from, to, blob);
          moved += 1;
        } finally {
          material.fill(0);
        }
      }
    }
    for (const pair of await this.repository.importKeyPairsUnderGeneration(domainId, from)) {
      const der = oldKey.open(importKeyPairBinding(domainId, pair.id, from), pair.privateBlob);
      try {
        await this.repository.reencryptImportKeyPair(pair.id, from, to, newKey.seal(importKeyPairBinding(domainId, pair.id, to), der));
      } finally {
        der.fill(0);
      }
    }
    return moved;
  }
}

/** The binding of an import key pair's private half (shared with KeyOperations). */
export function importKeyPairBinding(domainId: string, id: string, generation: number) {
  return { domainId, keyId: `import-keypair:${id}`, version: 1, generation };
}
