import { CliError, EXIT } from '../cli-error';
import type { ServiceRequestError } from '../http/http-client';

/** 401 codes that mean "the token itself is bad", as opposed to "this identity may not do that". */
export const TOKEN_ERROR_CODES = new Set(['TOKEN_EXPIRED_ERR', 'TOKEN_INVALID_ERR']);

export const RELOGIN_HINT = 'Run `keyward login` to start a new session';

/** A service's refusal as the user sees it: the exit code and what to do next. */
export function toCliError(failure: ServiceRequestError, notFoundHint?: string): CliError {
  const { status, code, message, requestId } = failure.error;
  const text = `${failure.service}: ${message} (${code})`;
  if (status === 401 && TOKEN_ERROR_CODES.has(code)) return new CliError(EXIT.auth, `${failure.service}: your session is not valid any more (${code})`, RELOGIN_HINT, code, requestId);
  if (status === 401 || status === 403) {
    return new CliError(
      EXIT.refused,
      text,
      'Your identity may not do this (or the resource does not exist). Ask an account administrator for an access policy (`keyward iam user-policy-create`)',
      code,
      requestId,
    );
  }
  if (status === 404) return new CliError(EXIT.refused, text, notFoundHint ?? 'Check the name or id', code, requestId);
  if (status < 500) return new CliError(EXIT.refused, text, undefined, code, requestId);
  return new CliError(EXIT.unavailable, `${text}${requestId ? ` (request id ${requestId})` : ''}`, 'Retry later; if it persists, give the request id to the operator', code, requestId);
}
