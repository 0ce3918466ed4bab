/** What a Keyward service said when it refused a request, whatever its API's error format. */
export interface ServiceError {
  status: number;
  code: string;
  message: string;
  requestId?: string;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Reads the three error envelopes Keyward serves (ARCHITECTURE.md §5): IAM's
 * `{errorCode, errorMessage, context: {requestId}}`, Key Protect's
 * `{resources: [{errorMsg, reasons: [{code, message}]}]}` and Keyward's `{errors: [{code, message}], trace}`.
 * Anything else (a proxy's HTML page) becomes a generic code from the status.
 */
export function parseErrorEnvelope(status: number, body: unknown, headerRequestId?: string | null): ServiceError {
  const fallbackCode = status >= 500 ? 'SERVER_ERR' : status === 404 ? 'NOT_FOUND_ERR' : 'HTTP_ERR';
  const requestId = headerRequestId ?? undefined;
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;

  const iamCode = str(b['errorCode']);
  if (iamCode) {
    const context = (b['context'] && typeof b['context'] === 'object' ? b['context'] : {}) as Record<string, unknown>;
    return { status, code: iamCode, message: str(b['errorMessage']) ?? `HTTP ${status}`, requestId: str(context['requestId']) ?? requestId };
  }
  const resources = Array.isArray(b['resources']) ? (b['resources'] as unknown[]) : undefined;
  const kp = resources?.[0] as Record<string, unknown> | undefined;
  if (kp && (kp['errorMsg'] !== undefined || Array.isArray(kp['reasons']))) {
    const reason = (Array.isArray(kp['reasons']) ? kp['reasons'][0] : undefined) as Record<string, unknown> | undefined;
    return { status, code: str(reason?.['code']) ?? fallbackCode, message: str(reason?.['message']) ?? str(kp['errorMsg']) ?? `HTTP ${status}`, requestId };
  }
  const errors = Array.isArray(b['errors']) ? (b['errors'] as unknown[]) : undefined;
  const first = errors?.[0] as Record<string, unknown> | undefined;
  if (first) return { status, code: str(first['code']) ?? fallbackCode, message: str(first['message']) ?? `HTTP ${status}`, requestId: str(b['trace']) ?? requestId };
  return { status, code: fallbackCode, message: `HTTP ${status}`, requestId };
}
