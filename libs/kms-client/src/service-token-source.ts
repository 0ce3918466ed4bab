import { z } from 'zod';
import { KmsClientError } from './kms-client-error';

/** Gives the bearer token a call should carry. */
export interface TokenSource {
  token(): Promise<string>;
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

export interface ServiceTokenSourceOptions {
  iamUrl: string;
  /** The service's own API key (KEYWARD_SERVICE_APIKEY_<NAME>). */
  apiKey: string;
  fetch?: typeof fetch;
  /** Renew this long before the token expires, so no call carries a token about to lapse. */
  refreshMarginMs?: number;
  now?: () => number;
}

const APIKEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';

/**
 * A service's own IAM token, exchanged for its API key at IAM (`POST /identity/token`) and cached
 * until shortly before it expires. Concurrent callers share one exchange.
 */
export class ServiceTokenSource implements TokenSource {
  private cached?: { token: string; renewAt: number };
  private pending?: Promise<string>;

  constructor(private readonly options: ServiceTokenSourceOptions) {}

  async token(): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    if (this.cached && now < this.cached.renewAt) return this.cached.token;
    this.pending ??= this.exchange().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async exchange(): Promise<string> {
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(new URL('/identity/token', this.options.iamUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: APIKEY_GRANT, apikey: this.options.apiKey }).toString(),
      });
    } catch (error) {
      throw new KmsClientError('SERVICE_UNAVAILABLE_ERR', 503, 'IAM could not be reached for a service token', { cause: error });
    }
    if (!response.ok) {
      // IAM's message may describe the key ("not found"), never echo it: the key itself is not in it.
      throw new KmsClientError(response.status >= 500 ? 'SERVICE_UNAVAILABLE_ERR' : 'UNAUTHORIZED_ERR', response.status >= 500 ? 503 : 401, `IAM refused the service API key (${response.status})`);
    }
    const parsed = tokenResponseSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new KmsClientError('BAD_RPC_RESPONSE_ERR', 502, 'IAM answered the token request with an unexpected body');
    const now = (this.options.now ?? Date.now)();
    const lifetimeMs = parsed.data.expires_in * 1000;
    const margin = Math.min(this.options.refreshMarginMs ?? 60_000, lifetimeMs / 2);
    this.cached = { token: parsed.data.access_token, renewAt: now + lifetimeMs - margin };
    return parsed.data.access_token;
  }
}
