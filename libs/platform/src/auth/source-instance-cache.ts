import { IAM_EVENT_SUBJECTS, type ServiceInstance } from '@keyward/contracts';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'nats';
import type { NatsConnectionHolder } from '../nats/nats-connection';
import type { SubjectNamespace } from '../nats/subject-namespace';
import type { InstanceLookup } from './source-crn';

export interface SourceInstanceCacheOptions {
  /** How long a found instance is trusted if its deletion event is lost (default 60 s). */
  ttlMs?: number;
  /** At most this many instances are kept; the oldest entry goes first (default 10 000). */
  max?: number;
  now?: () => number;
  /** With both, `events.iam.instance.deleted.v1` drops the instance (start with `watch()`). */
  nats?: NatsConnectionHolder;
  namespace?: SubjectNamespace;
}

/**
 * The source-CRN instances a process has looked up in IAM (every call with X-Keyward-Source-CRN
 * needs one; without this each one is an IAM round trip). What makes a short TTL safe is the
 * deletion event, not the TTL: `events.iam.instance.deleted.v1` drops the instance at once, and a
 * lookup that was already on its way to IAM when the event came is not stored (its answer may
 * predate the deletion), so once the event is delivered the next call asks IAM and sees the
 * tombstone. Unknown instances are never remembered (one created a moment ago must work at once);
 * tombstones are (a removed instance never comes back). Concurrent misses for one guid share one
 * IAM request. No other IAM event changes what a lookup returns (instances are not updated).
 */
export class SourceInstanceCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly entries = new Map<string, { instance: ServiceInstance; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<ServiceInstance | undefined>>();
  /** Bumped by every invalidation: an IAM answer fetched under an older epoch is not stored. */
  private epoch = 0;
  private subscription?: Subscription;
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(
    private readonly fetch: InstanceLookup,
    private readonly options: SourceInstanceCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.max = options.max ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** The InstanceLookup to give the guard. */
  readonly lookup: InstanceLookup = (guid) => {
    const hit = this.entries.get(guid);
    if (hit && hit.expiresAt > this.now()) return Promise.resolve(hit.instance);
    if (hit) this.entries.delete(guid);
    const pending = this.inFlight.get(guid);
    if (pending) return pending;
    const epoch = this.epoch;
    const request = this.fetch(guid)
      .then((instance) => {
        if (instance && epoch === this.epoch) this.store(guid, instance);
        return instance;
      })
      .finally(() => {
        if (this.inFlight.get(guid) === request) this.inFlight.delete(guid);
      });
    this.inFlight.set(guid, request);
    return request;
  };

  /** The instance changed in IAM (deleted): the next lookup asks IAM again. */
  forget(guid: string): void {
    this.epoch++;
    this.entries.delete(guid);
    this.inFlight.delete(guid);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
    this.inFlight.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Starts listening for deletions (call once the NATS connection is open). */
  watch(): void {
    const { nats, namespace } = this.options;
    if (!nats || !namespace || this.subscription) return;
    this.subscription = nats.get().subscribe(namespace.subject(IAM_EVENT_SUBJECTS.instanceDeleted), {
      callback: (_error, message) => {
        const guid = guidOf(message.data);
        // An event we cannot read still means some instance changed: forget them all.
        if (guid) this.forget(guid);
        else this.clear();
      },
    });
  }

  onApplicationBootstrap(): void {
    this.watch();
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private store(guid: string, instance: ServiceInstance): void {
    this.entries.delete(guid);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(guid, { instance, expiresAt: this.now() + this.ttlMs });
  }
}

function guidOf(data: Uint8Array): string | undefined {
  try {
    const guid = (JSON.parse(new TextDecoder().decode(data)) as { guid?: unknown } | null)?.guid;
    return typeof guid === 'string' && guid !== '' ? guid : undefined;
  } catch {
    return undefined;
  }
}
