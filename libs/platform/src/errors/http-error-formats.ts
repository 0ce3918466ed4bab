import { STATUS_CODES } from 'node:http';
import type { DomainError } from '@keyward/contracts';

/** The three documented HTTP error bodies (DESIGN.md "Errors"). */
export type HttpErrorFormat = 'key-protect' | 'iam' | 'keyward';

export interface ErrorResponseContext {
  requestId: string;
  /** Set for internal errors: the id under which the detail was logged. */
  errorId?: string;
}

const MORE_INFO = 'https://cloud.ibm.com/apidocs/key-protect';

/** The message the caller sees: for internal errors, a generic text with the error id only. */
export function publicMessage(error: DomainError, context: ErrorResponseContext): string {
  return error.isInternal && context.errorId ? `${error.message} (error id ${context.errorId})` : error.message;
}

export function formatHttpError(format: HttpErrorFormat, error: DomainError, context: ErrorResponseContext): unknown {
  const message = publicMessage(error, context);
  switch (format) {
    case 'key-protect': {
      const statusText = STATUS_CODES[error.status] ?? 'Error';
      return {
        metadata: { collectionType: 'application/vnd.ibm.kms.error+json', collectionTotal: 1 },
        resources: [
          {
            errorMsg: `${statusText}: ${message}: Please see \`reasons\` for more details (${error.code})`,
            reasons: [
              {
                code: error.code,
                message,
                status: error.status,
                moreInfo: MORE_INFO,
                ...(error.target ? { target: error.target } : {}),
              },
            ],
          },
        ],
      };
    }
    case 'iam':
      return { errorCode: error.code, errorMessage: message, context: { requestId: context.requestId } };
    case 'keyward':
      return {
        errors: [{ code: error.code, message, ...(error.target ? { target: error.target.name } : {}) }],
        trace: context.requestId,
      };
  }
}
