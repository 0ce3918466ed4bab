import { DomainError, isErrorCode } from '@keyward/contracts';
import { KmsClientError } from '@keyward/kms-client';

/**
 * A KMS refusal as DBaaS tells its user: the KMS's own reason code (one table in libs/contracts) and
 * message, prefixed with what DBaaS was doing. Unknown codes keep their class of status; the KMS being
 * away stays a 503.
 */
export function kmsRefusal(error: unknown, doing: string): unknown {
  if (!(error instanceof KmsClientError)) return error;
  return fromKmsClientError(error, doing);
}

/**
 * As kmsRefusal, and a refusal DBaaS raised itself (a key blocked by its last lifecycle event) also
 * says what DBaaS was doing: for creation, where the user is choosing the key, and for backups, where
 * it names the backup that cannot be taken or opened.
 */
export function keyChoiceRefusal(error: unknown, doing: string): unknown {
  if (error instanceof DomainError && !error.isInternal) return new DomainError(error.code, `${doing}: ${error.message}`, { cause: error, ...(error.target ? { target: error.target } : {}) });
  return kmsRefusal(error, doing);
}

function fromKmsClientError(error: KmsClientError, doing: string): DomainError {
  const message = `${doing}: ${error.message}`;
  if (error.status >= 500 || error.status === 429) return new DomainError('SERVICE_UNAVAILABLE_ERR', message, { cause: error });
  if (error.status === 401 || error.status === 403) return new DomainError('KMS_AUTHORIZATION_MISSING_ERR', `${message} (DBaaS is not authorized to use this key)`, { cause: error });
  if (isErrorCode(error.code)) return new DomainError(error.code, message, { cause: error });
  return new DomainError(error.status === 404 ? 'NOT_FOUND_ERR' : error.status === 409 ? 'CONFLICT_ERR' : 'INVALID_FIELD_ERR', message, { cause: error });
}
