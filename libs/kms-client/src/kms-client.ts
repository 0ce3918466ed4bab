import { z } from 'zod';
import { HEADERS, type HealthReport, healthReportSchema } from '@keyward/contracts';
import { requestContext } from '@keyward/platform';
import { KmsClientError, kmsErrorFromBody } from './kms-client-error';

/** The consumer's own service token (platform's ServiceTokenProvider in the apps). */
export interface TokenSource {
  get(): Promise<string>;
  /** Forget the token, so the next call fetches a new one (after the KMS refused it). */
  invalidate?(): void;
}

export interface KmsClientOptions {
  /** The KMS's public URL (KEYWARD_KMS_URL). */
  kmsUrl: string;
  /** The consumer's own service token. */
  tokens: TokenSource;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Which Key Protect instance and key a call is about, and for which of the consumer's resources. */
export interface KeyRef {
  instanceId: string;
  keyId: string;
  /** The consumer's resource the key protects: sent as X-Keyward-Source-CRN (DESIGN.md "Identities"). */
  sourceCrn: string;
}

const keyVersionSchema = z.object({ id: z.string() });
const wrapResponseSchema = z.object({ ciphertext: z.string(), plaintext: z.string().optional(), keyVersion: keyVersionSchema });
const unwrapResponseSchema = z.object({
  plaintext: z.string(),
  keyVersion: keyVersionSchema,
  ciphertext: z.string().optional(),
  rewrappedKeyVersion: keyVersionSchema.optional(),
});
const rewrapResponseSchema = z.object({ ciphertext: z.string(), keyVersion: keyVersionSchema, rewrappedKeyVersion: keyVersionSchema.optional() });

export type WrapResult = z.infer<typeof wrapResponseSchema>;
export type UnwrapResult = z.infer<typeof unwrapResponseSchema>;
export type RewrapResult = z.infer<typeof rewrapResponseSchema>;

/**
 * The only way a consumer reaches the KMS: its public Key Protect API over HTTP, exactly as a
 * third-party service would, with the consumer's service token and the CRN of the resource it acts for.
 * Plaintext DEKs pass through as base64 strings and are never logged here.
 */
export class KmsClient {
  constructor(private readonly options: KmsClientOptions) {}

  /** The KMS's /health (no token needed): consumers show it in their own /health. */
  async health(): Promise<HealthReport> {
    const response = await this.send('GET', '/health', { headers: {} });
    const body: unknown = await response.json().catch(() => undefined);
    const parsed = healthReportSchema.safeParse(body);
    if (!parsed.success) throw new KmsClientError('BAD_RPC_RESPONSE_ERR', 502, `the KMS /health answered ${response.status} with an unexpected body`);
    return parsed.data;
  }

  /** Wraps `plaintext` (base64), or has the KMS generate a 32-byte DEK when it is omitted. */
  wrap(ref: KeyRef, request: { plaintext?: string; aad?: string[] } = {}): Promise<WrapResult> {
    return this.keyAction(ref, 'wrap', request, wrapResponseSchema);
  }

  unwrap(ref: KeyRef, request: { ciphertext: string; aad?: string[] }): Promise<UnwrapResult> {
    return this.keyAction(ref, 'unwrap', request, unwrapResponseSchema);
  }

  rewrap(ref: KeyRef, request: { ciphertext: string; aad?: string[] }): Promise<RewrapResult> {
    return this.keyAction(ref, 'rewrap', request, rewrapResponseSchema);
  }

  private async keyAction<T>(ref: KeyRef, action: string, body: object, schema: z.ZodType<T>): Promise<T> {
    const path = `/api/v2/keys/${encodeURIComponent(ref.keyId)}/actions/${action}`;
    const call = async () =>
      this.send('POST', path, {
        headers: {
          authorization: `Bearer ${await this.options.tokens.get()}`,
          [HEADERS.bluemixInstance]: ref.instanceId,
          [HEADERS.sourceCrn]: ref.sourceCrn,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    let response = await call();
    if (response.status === 401 && this.options.tokens.invalidate) {
      // The token may have been revoked or signed by a key IAM no longer publishes: retry once with a new one.
      this.options.tokens.invalidate();
      response = await call();
    }
    const json: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw kmsErrorFromBody(response.status, json);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new KmsClientError('BAD_RPC_RESPONSE_ERR', 502, `the KMS answered ${action} with an unexpected body`);
    return parsed.data;
  }

  private async send(method: string, path: string, init: { headers: Record<string, string>; body?: string }): Promise<Response> {
    const requestId = requestContext.requestId();
    const doFetch = this.options.fetch ?? fetch;
    try {
      return await doFetch(new URL(path, this.options.kmsUrl), {
        method,
        headers: { accept: 'application/json', ...(requestId ? { [HEADERS.requestId]: requestId } : {}), ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new KmsClientError('SERVICE_UNAVAILABLE_ERR', 503, 'the KMS could not be reached', { cause: error });
    }
  }
}
