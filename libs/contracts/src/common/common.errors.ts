import { defineErrors } from './error-spec';

/** Codes every service may raise, whatever its API flavour. */
export const COMMON_ERRORS = defineErrors({
  BAD_BODY_ERR: { status: 400, message: 'The request body is not valid JSON or does not match the schema' },
  INVALID_FIELD_ERR: { status: 400, message: 'A field of the request is not valid' },
  NO_BODY_ERR: { status: 400, message: 'The request needs a body' },
  INVALID_QUERY_PARAM_ERR: { status: 400, message: 'A query parameter is not valid' },
  INVALID_HEADER_ERR: { status: 400, message: 'A required header is missing or not valid' },
  UNAUTHORIZED_ERR: {
    status: 401,
    message: 'Unauthorized: The user does not have access to the specified resource',
  },
  FORBIDDEN_ERR: { status: 403, message: 'The caller may not perform this action' },
  NOT_FOUND_ERR: { status: 404, message: 'The requested resource does not exist' },
  METHOD_NOT_ALLOWED_ERR: { status: 405, message: 'The method is not allowed on this resource' },
  CONFLICT_ERR: { status: 409, message: 'The request conflicts with the current state of the resource' },
  PAYLOAD_TOO_LARGE_ERR: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE_ERR: { status: 415, message: 'The request content type is not supported' },
  TOO_MANY_REQUESTS_ERR: { status: 429, message: 'Too many requests: retry later' },
  INTERNAL_ERR: { status: 500, message: 'An internal error occurred' },
  /** A dependency (NATS, a peer service, the database) did not answer in time: transient, retryable. */
  SERVICE_UNAVAILABLE_ERR: { status: 503, message: 'A service this request depends on is unavailable' },
  /** An RPC peer answered with a malformed reply: a bug, not the caller's fault. */
  BAD_RPC_RESPONSE_ERR: { status: 502, message: 'A service this request depends on answered incorrectly' },
});
