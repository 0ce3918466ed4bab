import { DomainError } from '@keyward/contracts';

const APIKEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';

export interface ServiceTokenProviderOptions {
  iamUrl: string;
  /** The service's API key (KEYWARD_SERVICE_APIKEY_<NAME>); never logged or put in an error. */
  apiKey: string;
  /** Renew when this share of the token's lifetime has passed (as IBM's SDKs do: 0.8). */
  refreshAt?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

/**
 * A service's own access token, for calls to other Keyward services (a consumer calling the KMS):
 * fetched from IAM with the service's API key, shared by concurrent callers, renewed at 80 % of
 * its lifetime.
 */
export class ServiceTokenProvider {
  private token?: { value: string; renewAt: number };
  private pending?: Promise<string>;

  constructor(private readonly options: ServiceTokenProviderOptions) {}

  async get(): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    if (this.token && now < this.token.renewAt) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forget the token (after a 401), so the next call fetches a new one. */
  invalidate(): void {
    this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(`${this.options.iamUrl.replace(/\/$/, '')}/identity/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: APIKEY_GRANT, apikey: this.options.apiKey }).toString(),
        signal: AbortSignal.timeout(5000),
      });
    } catch (error) {
      throw new DomainError('SERVICE_UNAVAILABLE_ERR', 'IAM could not be reached for a service token', { cause: new Error((error as Error).name) });
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; errorCode?: unknown };
    if (response.status !== 200 || typeof body.access_token !== 'string') {
      // The service's own key was refused: a deployment error, not the end user's.
      throw new DomainError('INTERNAL_ERR', `IAM refused the service API key (${response.status} ${typeof body.errorCode === 'string' ? body.errorCode : ''})`.trim());
    }
    const ttlMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    const now = (this.options.now ?? Date.now)();
    this.token = { value: body.access_token, renewAt: now + ttlMs * (this.options.refreshAt ?? 0.8) };
    return body.access_token;
  }
}
