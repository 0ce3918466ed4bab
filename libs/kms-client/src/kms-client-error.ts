/**
 * A failed call to the KMS: its Key Protect reason code and HTTP status, or SERVICE_UNAVAILABLE_ERR
 * (status 503) when the KMS could not be reached. The message is the KMS's own, which never carries
 * key material; the consumer decides how to present it to its user.
 */
export class KmsClientError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KmsClientError';
  }

  /** Whether retrying the same call later may succeed (the KMS was away or overloaded). */
  get isTransient(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** Reads a Key Protect error envelope (`resources[0].errorMsg` and `reasons[0].code`). */
export function kmsErrorFromBody(status: number, body: unknown): KmsClientError {
  const resource = (body as { resources?: { errorMsg?: unknown; reasons?: { code?: unknown; message?: unknown }[] }[] } | null)?.resources?.[0];
  const reason = resource?.reasons?.[0];
  const code = typeof reason?.code === 'string' ? reason.code : status >= 500 ? 'SERVICE_UNAVAILABLE_ERR' : 'KMS_ERR';
  const message =
    typeof reason?.message === 'string' ? reason.message : typeof resource?.errorMsg === 'string' ? resource.errorMsg : `the KMS answered ${status}`;
  return new KmsClientError(code, status, message);
}
