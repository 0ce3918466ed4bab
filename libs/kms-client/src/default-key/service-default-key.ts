import type { Logger } from 'pino';
import { type DependencyCheck, DomainError, SERVICE_DEFAULT_KEY_NAME, type ServiceInstance, type ServiceKeyInstanceOwner, findServiceKeyInstance } from '@keyward/contracts';
import type { KeySummary, KmsClient } from '../kms-client';
import { KmsClientError } from '../kms-client-error';

export interface ServiceDefaultKeyOptions {
  /** The consumer service whose own key this is (`schematics`, `hyperp-dbaas-postgresql`). */
  service: ServiceKeyInstanceOwner;
  /** The operator's override (KEYWARD_<APP>_DEFAULT_KEY_CRN): used as is, nothing is looked up or created. */
  configuredKeyCrn?: string;
  /** The KMS, as the service itself. */
  client: KmsClient;
  /** The `kms` instances of the service's own account, from IAM's registry (rpc.iam.instance.list.v1). */
  listInstances: () => Promise<ServiceInstance[]>;
  logger: Logger;
  /** What the service's user should do instead while the key is not available (ends the 503's message). */
  hint: string;
  /** Retry delays while the KMS or IAM is not reachable: doubles from `first` up to `max`. */
  retry?: { firstMs: number; maxMs: number };
}

/**
 * A consumer's own default root key (Schematics issue 10, DBaaS issue 11): a root key named
 * SERVICE_DEFAULT_KEY_NAME in the `kms` instance IAM's bootstrap keeps for the service. Found at
 * start, created when missing. Replicas starting at once may each create one: every replica then
 * lists the keys after its own creation and takes the oldest, and a replica whose key is not the
 * oldest deletes it — a key created after another replica's list is newer than that replica's, so
 * all replicas settle on the same key. Until the key is settled (IAM or the KMS not reachable yet)
 * the service retries in the background, /health says `degraded`, and only the requests that need the
 * default key get a 503.
 */
export class ServiceDefaultKey {
  private crn: string | undefined;
  private problem = 'not looked up yet';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private delayMs: number;
  private firstAttempt: Promise<void> | undefined;

  constructor(private readonly options: ServiceDefaultKeyOptions) {
    this.crn = options.configuredKeyCrn;
    this.delayMs = options.retry?.firstMs ?? 500;
  }

  /** Starts settling the key (nothing to do for a configured one); resolves after the first attempt. */
  start(): Promise<void> {
    if (this.crn) return Promise.resolve();
    this.firstAttempt ??= this.attempt();
    return this.firstAttempt;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The key CRN, or a 503 saying why there is none yet and what the caller can do instead. */
  keyCrn(): string {
    if (this.crn) return this.crn;
    throw new DomainError('SERVICE_UNAVAILABLE_ERR', `The service's default root key is not available yet (${this.problem}); retry shortly, or ${this.options.hint}`);
  }

  /** Whether a key CRN is the service's default key (its customers need no authorization for it). */
  isDefault(keyCrn: string): boolean {
    return this.crn !== undefined && this.crn === keyCrn;
  }

  /** For /health: ok once settled, otherwise `down` (non-critical: the app is `degraded`). */
  health(): DependencyCheck {
    if (this.crn) return { status: 'ok', detail: this.options.configuredKeyCrn ? 'configured' : 'service-owned' };
    return { status: 'down', detail: this.problem };
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      this.crn = await this.settle();
      this.options.logger.info({ keyCrn: this.crn }, 'default root key ready');
    } catch (error) {
      this.problem = describe(error);
      this.options.logger.warn({ problem: this.problem, retryInMs: this.delayMs }, 'default root key not available yet; retrying');
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.attempt(), this.delayMs);
      this.timer.unref();
      this.delayMs = Math.min(this.delayMs * 2, this.options.retry?.maxMs ?? 5000);
    }
  }

  private async settle(): Promise<string> {
    const { client, service } = this.options;
    const instance = findServiceKeyInstance(await this.options.listInstances(), service);
    if (!instance) throw new Error(`IAM has no kms instance for ${service} (IAM's bootstrap creates it)`);
    const target = { instanceId: instance.guid };
    const existing = oldest(await client.listKeys(target, { extractable: false, state: [1], limit: 5000 }));
    if (existing) return existing.crn;
    const mine = await client.createRootKey(target, { name: SERVICE_DEFAULT_KEY_NAME, description: `${service}'s default root key (created by ${service} at start)` });
    const chosen = oldest(await client.listKeys(target, { extractable: false, state: [1], limit: 5000 })) ?? mine;
    if (chosen.id !== mine.id) {
      // Another replica's key is older: everyone uses that one, ours goes (nothing was wrapped with it).
      await client.deleteKey(target, mine.id).catch((error: unknown) => this.options.logger.warn({ keyId: mine.id, problem: describe(error) }, 'could not delete a duplicate default key'));
    }
    this.options.logger.info({ service, instanceId: instance.guid, keyId: chosen.id, createdHere: chosen.id === mine.id }, 'default root key settled');
    return chosen.crn;
  }
}

/**
 * The oldest active key with the well-known name. The KMS lists by creation time (its own, finer than
 * the whole seconds `creationDate` shows) then id, so every replica sees the same order.
 */
function oldest(keys: readonly KeySummary[]): KeySummary | undefined {
  return keys.find((k) => k.name === SERVICE_DEFAULT_KEY_NAME && k.state === 1 && !k.extractable);
}

/** A short reason for logs, /health and the 503: codes and our own messages only, never a token. */
function describe(error: unknown): string {
  if (error instanceof KmsClientError) return `the KMS answered ${error.status} ${error.code}`;
  if (error instanceof DomainError) return error.code;
  return error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
}
