import type { KeywardAppName } from '@keyward/contracts';
import type { CliContext } from '../cli-context';
import { CliError, EXIT } from '../cli-error';
import { configDir } from '../config/config-dir';
import { SessionStore, type StoredSession } from '../config/session-store';
import { HttpClient, type HttpRequest, type HttpResponse, ServiceRequestError } from '../http/http-client';
import { type Tokens, tokensFromApiKey, tokensFromRefreshToken } from './iam-tokens';
import { RELOGIN_HINT, TOKEN_ERROR_CODES, toCliError } from './service-errors';

/** Renew a token this long before it expires, so it does not expire in flight. */
const RENEW_BEFORE_SEC = 60;

export interface CallOptions {
  /** The hint for a 404, naming the command that lists what exists. */
  notFoundHint?: string;
  /**
   * Renew and retry once on 401 `UNAUTHORIZED_ERR` too: the KMS answers that for a bad or expired
   * token as for a missing permission (as Key Protect does), so only a renewal tells them apart.
   */
  renewOnUnauthorized?: boolean;
}

/**
 * A logged-in user's session: the stored tokens, renewed when needed (refresh token first, then
 * the stored API key), and authenticated calls to any Keyward service. Every command that talks to
 * a service goes through `call`, so the `kp` and `hpcs` groups get the same auth and error handling.
 */
export class AuthSession {
  readonly http: HttpClient;

  private constructor(
    private readonly context: CliContext,
    readonly store: SessionStore,
    private session: StoredSession,
  ) {
    this.http = new HttpClient(context);
  }

  static storeFor(context: CliContext): SessionStore {
    return new SessionStore(configDir(context.env));
  }

  /** The stored session, or exit 3 telling the user to log in. */
  static load(context: CliContext): AuthSession {
    const store = AuthSession.storeFor(context);
    const session = store.read();
    if (!session) throw new CliError(EXIT.auth, 'You are not logged in', 'Run `keyward login --apikey @<file>` (or set KEYWARD_APIKEY, or answer the prompt)');
    return new AuthSession(context, store, session);
  }

  /** Stores a new session (login). */
  static start(context: CliContext, session: StoredSession): AuthSession {
    const store = AuthSession.storeFor(context);
    store.write(session);
    return new AuthSession(context, store, session);
  }

  get user(): StoredSession['user'] {
    return this.session.user;
  }

  get target(): StoredSession['target'] {
    return this.session.target;
  }

  get iamUrl(): string {
    return this.session.iamUrl;
  }

  updateTarget(target: StoredSession['target']): void {
    this.session = { ...this.session, target };
    this.store.write(this.session);
  }

  /** The URL of a Keyward app, as IAM's endpoint catalog gave it at login. */
  urlOf(app: KeywardAppName): string {
    if (app === 'iam') return this.session.iamUrl;
    const url = this.session.endpoints[app];
    if (!url) throw new CliError(EXIT.unavailable, `IAM's endpoint catalog names no URL for ${app}`, 'Run `keyward login` again to reload the catalog');
    return url;
  }

  /** An authenticated request; one renewal and retry when the service says the token is bad. */
  async call<T = unknown>(app: KeywardAppName, request: Omit<HttpRequest, 'token'>, options: CallOptions = {}): Promise<HttpResponse<T>> {
    if (this.session.expiration - this.context.now() / 1000 < RENEW_BEFORE_SEC) await this.renew();
    try {
      return await this.send<T>(app, request);
    } catch (error) {
      if (!(error instanceof ServiceRequestError)) throw error;
      const tokenRefused = TOKEN_ERROR_CODES.has(error.error.code) || (options.renewOnUnauthorized === true && error.error.code === 'UNAUTHORIZED_ERR');
      if (error.error.status === 401 && tokenRefused) {
        await this.renew();
        try {
          return await this.send<T>(app, request);
        } catch (retryError) {
          if (retryError instanceof ServiceRequestError) throw toCliError(retryError, options.notFoundHint);
          throw retryError;
        }
      }
      throw toCliError(error, options.notFoundHint);
    }
  }

  private send<T>(app: KeywardAppName, request: Omit<HttpRequest, 'token'>): Promise<HttpResponse<T>> {
    return this.http.send<T>(app, this.urlOf(app), { ...request, token: this.session.accessToken });
  }

  /** New tokens from the refresh token, else from the stored API key, else exit 3. */
  async renew(): Promise<void> {
    let tokens: Tokens | undefined;
    if (this.session.refreshToken) tokens = await this.tryGrant(() => tokensFromRefreshToken(this.http, this.session.iamUrl, this.session.refreshToken as string, this.context.now()));
    if (!tokens && this.session.apiKey) {
      tokens = await this.tryGrant(() => tokensFromApiKey(this.http, this.session.iamUrl, this.session.apiKey as string, this.context.now()));
      if (!tokens) throw new CliError(EXIT.auth, 'Your session has ended: IAM no longer accepts the API key it was started with', RELOGIN_HINT);
    }
    if (!tokens) throw new CliError(EXIT.auth, 'Your session has expired', RELOGIN_HINT);
    const { refreshToken: _used, ...rest } = this.session;
    this.session = { ...rest, accessToken: tokens.accessToken, expiration: tokens.expiration, ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}) };
    this.store.write(this.session);
  }

  /** A grant IAM refused (4xx) is undefined; an unreachable or failing IAM is an error. */
  private async tryGrant(grant: () => Promise<Tokens>): Promise<Tokens | undefined> {
    try {
      return await grant();
    } catch (error) {
      if (error instanceof ServiceRequestError && error.error.status >= 400 && error.error.status < 500) return undefined;
      if (error instanceof ServiceRequestError) throw toCliError(error);
      throw error;
    }
  }
}
