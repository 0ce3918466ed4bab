import {
  type AuthzCheckRequest,
  type AuthzCheckResponse,
  IAM_EVENT_SUBJECTS,
  IAM_SUBJECTS,
  authzCheckBatchResponseSchema,
  authzCheckResponseSchema,
  instanceGetResponseSchema,
  type ServiceInstance,
} from '@keyward/contracts';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'nats';
import type { NatsConnectionHolder } from '../nats/nats-connection';
import type { RpcClient } from '../nats/rpc-client';
import type { SubjectNamespace } from '../nats/subject-namespace';

/** Who answers authorization questions: IAM over NATS in apps, the policy engine inside IAM. */
export interface AuthzDecider {
  check(request: AuthzCheckRequest): Promise<AuthzCheckResponse>;
}

/** NATS batches stay well below the 1 MB message limit. */
const BATCH_CHUNK = 500;
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/**
 * Asks IAM (`rpc.iam.authz.check(-batch).v1`). Decisions are cached for at most a minute and the
 * whole cache is dropped on every `events.iam.policy.changed.v1`, so a revoked grant stops working
 * as soon as the event arrives.
 */
export class IamAuthzClient implements AuthzDecider, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly cache = new Map<string, { at: number; response: AuthzCheckResponse }>();
  private subscription?: Subscription;

  constructor(
    private readonly rpc: RpcClient,
    private readonly nats?: NatsConnectionHolder,
    private readonly namespace?: SubjectNamespace,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts listening for policy changes (call once the NATS connection is open). */
  watchPolicyChanges(): void {
    if (!this.nats || !this.namespace || this.subscription) return;
    this.subscription = this.nats.get().subscribe(this.namespace.subject(IAM_EVENT_SUBJECTS.policyChanged), {
      callback: () => this.cache.clear(),
    });
  }

  onApplicationBootstrap(): void {
    this.watchPolicyChanges();
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  async check(request: AuthzCheckRequest): Promise<AuthzCheckResponse> {
    const key = JSON.stringify(request);
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.at < CACHE_TTL_MS) return cached.response;
    const response = await this.rpc.request(IAM_SUBJECTS.authzCheck, request, { response: authzCheckResponseSchema });
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, { at: this.now(), response });
    return response;
  }

  async checkBatch(requests: readonly AuthzCheckRequest[]): Promise<AuthzCheckResponse[]> {
    const results: AuthzCheckResponse[] = [];
    for (let i = 0; i < requests.length; i += BATCH_CHUNK) {
      const chunk = requests.slice(i, i + BATCH_CHUNK);
      const answers = await this.rpc.request(IAM_SUBJECTS.authzCheckBatch, chunk, { response: authzCheckBatchResponseSchema });
      results.push(...answers);
    }
    return results;
  }
}

/**
 * `rpc.iam.instance.get.v1` by guid; undefined when IAM does not know it. A removed instance is
 * undefined too, unless `includeRemoved` (then its tombstone, `state: "removed"`).
 */
export async function getInstanceFromIam(rpc: RpcClient, guid: string, options: { includeRemoved?: boolean } = {}): Promise<ServiceInstance | undefined> {
  const reply = await rpc.request(IAM_SUBJECTS.instanceGet, options.includeRemoved ? { guid, include_removed: true } : { guid }, { response: instanceGetResponseSchema });
  return reply ?? undefined;
}
