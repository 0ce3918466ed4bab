/**
 * One row of the error-code table. `status` is the HTTP status every transport maps the code to;
 * `message` is the default, user-safe text (it never contains key material or secrets).
 * Codes with status >= 500 are internal or transient: only those may be retried by clients.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

export function defineErrors<const T extends Record<string, ErrorSpec>>(table: T): T {
  return table;
}
