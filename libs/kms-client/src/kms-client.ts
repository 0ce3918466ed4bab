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
  /** The KMS's public URL (KEYWARD_KMS_URL): the default when a call names no `kmsUrl` of its own. */
  kmsUrl: string;
  /** The consumer's own service token. */
  tokens: TokenSource;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Which KMS and Key Protect instance a call goes to. */
export interface KmsTarget {
  instanceId: string;
  /** A KMS at another endpoint than the client's default (a customer's KMS in another region). */
  kmsUrl?: string;
  /** Sent as X-Kms-Key-Ring when set. */
  keyRing?: string;
}

/** Which Key Protect instance and key a call is about, and for which of the consumer's resources. */
export interface KeyRef extends KmsTarget {
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
const batchErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const wrapBatchResponseSchema = z.object({ results: z.array(z.union([z.object({ ciphertext: z.string(), keyVersion: keyVersionSchema }), batchErrorSchema])) });
const unwrapBatchResponseSchema = z.object({ results: z.array(z.union([z.object({ plaintext: z.string(), keyVersion: keyVersionSchema }), batchErrorSchema])) });
const registrationSchema = z.object({
  keyId: z.string(),
  resourceCrn: z.string(),
  preventKeyDeletion: z.boolean(),
  keyVersion: z.object({ id: z.string(), creationDate: z.string().optional() }).optional(),
  description: z.string().optional(),
  registrationMetadata: z.string().optional(),
  creationDate: z.string().optional(),
  lastUpdated: z.string().optional(),
});
const registrationEnvelopeSchema = z.object({ resources: z.array(registrationSchema).min(1) });

const keySummarySchema = z.object({ id: z.string(), name: z.string(), crn: z.string(), extractable: z.boolean(), state: z.number(), creationDate: z.string().optional() });
const createdKeySchema = z.object({ resources: z.array(keySummarySchema).min(1) });
const keyListSchema = z.object({ resources: z.array(keySummarySchema).optional() });
export type KeySummary = z.infer<typeof keySummarySchema>;
export type WrapResult = z.infer<typeof wrapResponseSchema>;
export type UnwrapResult = z.infer<typeof unwrapResponseSchema>;
export type RewrapResult = z.infer<typeof rewrapResponseSchema>;
/** One item of a batch: its result, or its own error (an invalid item does not fail the others). */
export type WrapBatchResult = z.infer<typeof wrapBatchResponseSchema>['results'][number];
export type UnwrapBatchResult = z.infer<typeof unwrapBatchResponseSchema>['results'][number];
export type Registration = z.infer<typeof registrationSchema>;

export interface RegistrationDetails {
  description?: string;
  /** Shown only to service callers: what the consumer wants to find again (never a secret). */
  registrationMetadata?: string;
  /** The key version the resource now uses (must be newer than the registered one: KEY_VERSION_INVALID). */
  keyVersionId?: string;
}

/** `POST /api/v2/event_ack` (DESIGN.md "Events to consumers"). */
export interface EventAck {
  eventId: string;
  resourceCrn: string;
  /** The key version the resource uses after handling the event (the new one after a rotation). */
  keyVersionId: string;
}

/** Key Protect's media types: the KMS parses JSON whatever the type, the official clients send these. */
const MEDIA_TYPES = {
  registrationInput: 'application/vnd.ibm.kms.registration_input+json',
  eventAck: 'application/vnd.ibm.kms.event_acknowledge+json',
  json: 'application/json',
} as const;

interface Call {
  target: KmsTarget;
  method: string;
  path: string;
  sourceCrn?: string;
  body?: unknown;
  contentType?: string;
  /** Names the call in errors about an unexpected body. */
  what: string;
}

/**
 * The only way a consumer reaches the KMS: its public Key Protect API over HTTP, exactly as a
 * third-party service would, with the consumer's service token and the CRN of the resource it acts for.
 * Plaintext DEKs pass through as base64 strings and are never logged or put in an error here.
 */
export class KmsClient {
  constructor(private readonly options: KmsClientOptions) {}

  /** The KMS's /health (no token needed): consumers show it in their own /health. */
  async health(kmsUrl?: string): Promise<HealthReport> {
    const response = await this.send(kmsUrl ?? this.options.kmsUrl, 'GET', '/health', { headers: {} });
    const body: unknown = await response.json().catch(() => undefined);
    const parsed = healthReportSchema.safeParse(body);
    if (!parsed.success) throw new KmsClientError('BAD_RPC_RESPONSE_ERR', 502, `the KMS /health answered ${response.status} with an unexpected body`);
    return parsed.data;
  }

  /**
   * The instance's keys (`GET /api/v2/keys`, first `limit`), e.g. its active root keys for a user to
   * choose from: `{extractable: false, state: [1]}`. Only metadata: the KMS never returns key material here.
   */
  async listKeys(target: KmsTarget, filter: { extractable?: boolean; state?: number[]; limit?: number } = {}): Promise<KeySummary[]> {
    const query = new URLSearchParams({ limit: String(filter.limit ?? 200) });
    if (filter.extractable !== undefined) query.set('extractable', String(filter.extractable));
    if (filter.state) query.set('state', filter.state.join(','));
    const json = await this.request({ target, method: 'GET', path: `/api/v2/keys?${query.toString()}`, what: 'keys.list' });
    const parsed = keyListSchema.safeParse(json ?? {});
    if (!parsed.success) throw new KmsClientError('BAD_RPC_RESPONSE_ERR', 502, 'the KMS answered the key list with an unexpected body');
    return parsed.data.resources ?? [];
  }

  /**
   * Creates a root key generated in the HSM (`POST /api/v2/keys`): for a service's own key in its own
   * instance (a consumer's default key), never in a customer's.
   */
  async createRootKey(target: KmsTarget, request: { name: string; description?: string }): Promise<KeySummary> {
    const json = await this.request({
      target,
      method: 'POST',
      path: '/api/v2/keys',
      body: {
        metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
        resources: [{ type: 'application/vnd.ibm.kms.key+json', name: request.name, extractable: false, ...(request.description ? { description: request.description } : {}) }],
      },
      what: 'keys.create',
    });
    const parsed = createdKeySchema.safeParse(json);
    if (!parsed.success) throw new KmsClientError('BAD_RPC_RESPONSE_ERR', 502, 'the KMS answered the key creation with an unexpected body');
    return parsed.data.resources[0] as KeySummary;
  }

  /** Deletes a key of the service's own instance (state 5, restorable as Key Protect allows). */
  async deleteKey(target: KmsTarget, keyId: string): Promise<void> {
    await this.request({ target, method: 'DELETE', path: `/api/v2/keys/${encodeURIComponent(keyId)}`, what: 'keys.delete' });
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

  /**
   * Keyward's batch (KEY-PROTECT-API.md §10), results in request order. The KMS takes at most 1,000
   * items and 4 MB per call: longer lists go in several calls, cut by count and by size.
   */
  async wrapBatch(ref: KeyRef, items: readonly { plaintext?: string; aad?: string[] }[]): Promise<WrapBatchResult[]> {
    const results: WrapBatchResult[] = [];
    for (const chunk of batchChunks(items)) results.push(...(await this.keyAction(ref, 'wrap_batch', { items: chunk }, wrapBatchResponseSchema)).results);
    return results;
  }

  async unwrapBatch(ref: KeyRef, items: readonly { ciphertext: string; aad?: string[] }[]): Promise<UnwrapBatchResult[]> {
    const results: UnwrapBatchResult[] = [];
    for (const chunk of batchChunks(items)) results.push(...(await this.keyAction(ref, 'unwrap_batch', { items: chunk }, unwrapBatchResponseSchema)).results);
    return results;
  }

  /**
   * Registers the resource (`ref.sourceCrn`) with the key, so the key's owner sees who uses it and the
   * consumer receives its lifecycle events. Consumers never prevent deletion (`preventKeyDeletion: false`):
   * the customer stays in control of their key.
   */
  async register(ref: KeyRef, details: RegistrationDetails = {}): Promise<Registration> {
    return this.registrationWrite(ref, 'POST', details);
  }

  /** Updates the registration (PATCH), e.g. the key version the resource now uses after a rotation. */
  async updateRegistration(ref: KeyRef, details: RegistrationDetails): Promise<Registration> {
    return this.registrationWrite(ref, 'PATCH', details);
  }

  /**
   * Removes the resource's registration (when the resource is deleted or moves to another key).
   * Resolves false when the KMS no longer knows it (the key was purged, or it was never registered).
   */
  async unregister(ref: KeyRef): Promise<boolean> {
    try {
      await this.request({ target: ref, method: 'DELETE', path: registrationPath(ref), sourceCrn: ref.sourceCrn, what: 'unregister' });
      return true;
    } catch (error) {
      if (error instanceof KmsClientError && error.status === 404) return false;
      throw error;
    }
  }

  /** Acknowledges a lifecycle event for one of the consumer's registrations (204). */
  async ackEvent(target: KmsTarget, ack: EventAck): Promise<void> {
    await this.request({
      target,
      method: 'POST',
      path: '/api/v2/event_ack',
      sourceCrn: ack.resourceCrn,
      body: { eventId: ack.eventId, resourceCrn: ack.resourceCrn, keyVersionId: ack.keyVersionId },
      contentType: MEDIA_TYPES.eventAck,
      what: 'event_ack',
    });
  }

  private async registrationWrite(ref: KeyRef, method: 'POST' | 'PATCH', details: RegistrationDetails): Promise<Registration> {
    const resource = {
      ...(method === 'POST' ? { preventKeyDeletion: false } : {}),
      ...(details.description === undefined ? {} : { description: details.description }),
      ...(details.registrationMetadata === undefined ? {} : { registrationMetadata: details.registrationMetadata }),
      ...(details.keyVersionId === undefined ? {} : { keyVersionId: details.keyVersionId }),
    };
    const json = await this.request({
      target: ref,
      method,
      path: registrationPath(ref),
      sourceCrn: ref.sourceCrn,
      body: { metadata: { collectionType: MEDIA_TYPES.registrationInput, collectionTotal: 1 }, resources: [resource] },
      contentType: MEDIA_TYPES.registrationInput,
      what: 'registration',
    });
    const parsed = registrationEnvelopeSchema.safeParse(json);
    if (!parsed.success) throw new KmsClientError('BAD_RPC_RESPONSE_ERR', 502, 'the KMS answered the registration with an unexpected body');
    return parsed.data.resources[0] as Registration;
  }

  private async keyAction<T>(ref: KeyRef, action: string, body: object, schema: z.ZodType<T>): Promise<T> {
    const json = await this.request({
      target: ref,
      method: 'POST',
      path: `/api/v2/keys/${encodeURIComponent(ref.keyId)}/actions/${action}`,
      sourceCrn: ref.sourceCrn,
      body,
      what: action,
    });
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new KmsClientError('BAD_RPC_RESPONSE_ERR', 502, `the KMS answered ${action} with an unexpected body`);
    return parsed.data;
  }

  /** One authenticated call: the service token (renewed once on a 401), the instance, the source CRN. */
  private async request(call: Call): Promise<unknown> {
    const kmsUrl = call.target.kmsUrl ?? this.options.kmsUrl;
    const attempt = async () =>
      this.send(kmsUrl, call.method, call.path, {
        headers: {
          authorization: `Bearer ${await this.options.tokens.get()}`,
          [HEADERS.bluemixInstance]: call.target.instanceId,
          ...(call.sourceCrn ? { [HEADERS.sourceCrn]: call.sourceCrn } : {}),
          ...(call.target.keyRing ? { [HEADERS.keyRing]: call.target.keyRing } : {}),
          ...(call.body === undefined ? {} : { 'content-type': call.contentType ?? MEDIA_TYPES.json }),
        },
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      });
    let response = await attempt();
    if (response.status === 401 && this.options.tokens.invalidate) {
      // The token may have been revoked or signed by a key IAM no longer publishes: retry once with a new one.
      await response.body?.cancel().catch(() => undefined);
      this.options.tokens.invalidate();
      response = await attempt();
    }
    const text = await response.text().catch(() => '');
    const json: unknown = text === '' ? undefined : safeJson(text);
    if (!response.ok) throw kmsErrorFromBody(response.status, json);
    return json;
  }

  private async send(kmsUrl: string, method: string, path: string, init: { headers: Record<string, string>; body?: string }): Promise<Response> {
    const requestId = requestContext.requestId();
    const doFetch = this.options.fetch ?? fetch;
    try {
      return await doFetch(new URL(path, kmsUrl), {
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

/** The KMS's batch limits (docs/KMS.md), with room for the JSON around the items. */
export const BATCH_MAX_ITEMS = 1000;
export const BATCH_MAX_BYTES = 3.5 * 1024 * 1024;

function batchChunks<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (current.length > 0 && (current.length >= BATCH_MAX_ITEMS || bytes + size > BATCH_MAX_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The resource CRN is one path segment: encoded once (the KMS decodes until stable). */
function registrationPath(ref: KeyRef): string {
  return `/api/v2/keys/${encodeURIComponent(ref.keyId)}/registrations/${encodeURIComponent(ref.sourceCrn)}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
