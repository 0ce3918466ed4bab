import { type JSONWebKeySet, type JWTVerifyGetKey, createLocalJWKSet, errors as joseErrors } from 'jose';

export interface RemoteJwksOptions {
  /** At most one fetch per this many ms; a token with an unknown `kid` waits for the next one. */
  minRefetchIntervalMs?: number;
  /** The key set is refetched when older than this, even if every `kid` is known. */
  maxAgeMs?: number;
  timeoutMs?: number;
  /** Tests pass a fake; defaults to the global fetch. */
  fetch?: (url: URL, init: { signal: AbortSignal }) => Promise<Response>;
}

/** IAM's JWKS could not be read (down, slow, or an invalid answer). */
export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
}

/**
 * IAM's `GET /identity/keys`, cached. Unlike jose's createRemoteJWKSet, whose cooldown *refuses* a
 * token with an unknown `kid` for 30 s after a fetch, a token naming a key the cache lacks (IAM
 * rotated in a key, or a replica started with a new one) waits for the next fetch that starts after
 * it arrived: at most one fetch per `minRefetchIntervalMs` (5 s), shared by every waiting request. So
 * a freshly issued token always verifies (after at most that wait), and forged `kid`s cannot make us
 * hammer IAM. A `kid` still unknown after that fetch is refused.
 */
export class RemoteJwks {
  private local?: JWTVerifyGetKey;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastStartedAt = Number.NEGATIVE_INFINITY;
  /** The fetch under way, numbered by `fetches` when it started. */
  private inflight?: { seq: number; done: Promise<void> };
  private readonly minInterval: number;
  private readonly maxAge: number;
  private readonly timeout: number;
  private readonly fetchFn: NonNullable<RemoteJwksOptions['fetch']>;
  /** How many fetches were started (for tests and metrics). */
  fetches = 0;

  constructor(
    private readonly url: URL,
    options: RemoteJwksOptions = {},
  ) {
    this.minInterval = options.minRefetchIntervalMs ?? 5000;
    this.maxAge = options.maxAgeMs ?? 10 * 60_000;
    this.timeout = options.timeoutMs ?? 5000;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    // Fetches are counted, not timed: a fetch that started after this request answers for it (two
    // events in the same millisecond would otherwise look simultaneous).
    const seenFetches = this.fetches;
    if (!this.local) await this.refresh(seenFetches);
    else if (Date.now() - this.fetchedAt >= this.maxAge) await this.refresh(seenFetches).catch(() => undefined); // stale keys beat none
    try {
      return await (this.local as JWTVerifyGetKey)(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      await this.refresh(seenFetches);
      return (this.local as JWTVerifyGetKey)(header, token);
    }
  };

  /** Resolves once a fetch started after the first `seenFetches` has ended (waiting out the interval). */
  private async refresh(seenFetches: number): Promise<void> {
    for (;;) {
      const inflight = this.inflight;
      if (inflight) {
        if (inflight.seq > seenFetches) return inflight.done;
        await inflight.done.catch(() => undefined);
        continue;
      }
      if (this.fetches > seenFetches) return;
      const wait = this.lastStartedAt + this.minInterval - Date.now();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
        continue;
      }
      const startedAt = Date.now();
      this.lastStartedAt = startedAt;
      const seq = ++this.fetches;
      const done = this.load(startedAt).finally(() => {
        if (this.inflight?.done === done) this.inflight = undefined;
      });
      this.inflight = { seq, done };
      return done;
    }
  }

  private async load(startedAt: number): Promise<void> {
    let response: Response;
    try {
      response = await this.fetchFn(this.url, { signal: AbortSignal.timeout(this.timeout) });
    } catch (error) {
      throw new JwksUnavailableError(`IAM's JWKS could not be fetched (${(error as Error).name})`);
    }
    if (response.status !== 200) throw new JwksUnavailableError(`IAM's JWKS answered ${response.status}`);
    const body = (await response.json().catch(() => undefined)) as JSONWebKeySet | undefined;
    if (!body || !Array.isArray(body.keys)) throw new JwksUnavailableError("IAM's JWKS answer is not a key set");
    this.local = createLocalJWKSet(body);
    this.fetchedAt = startedAt;
  }
}
