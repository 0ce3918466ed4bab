import { type ErrorCode, errorSpec, isErrorCode } from './error-table';

/** Where in the request a user error points (Key Protect's `reasons[].target`). */
export interface ErrorTarget {
  type: 'field' | 'query' | 'header';
  name: string;
}

export interface DomainErrorOptions {
  target?: ErrorTarget;
  /** The underlying failure, for the log only: it never reaches the caller. */
  cause?: unknown;
}

/**
 * The only error type services throw for a predictable failure. It carries a code from the table,
 * and a message safe to show the caller: never put key bytes, tokens or secrets in it.
 * Each transport maps it at its edge (HTTP filter, RPC filter); nothing else builds error responses.
 */
export class DomainError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly options: DomainErrorOptions = {},
  ) {
    super(message ?? errorSpec(code).message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.status = errorSpec(code).status;
  }

  get target(): ErrorTarget | undefined {
    return this.options.target;
  }

  /** Internal and transient codes (5xx): the caller sees a generic message with an error id. */
  get isInternal(): boolean {
    return this.status >= 500;
  }

  /** The shape in which an error crosses NATS (see rpc-error.ts). */
  toWire(): RpcErrorWire {
    return { code: this.code, message: this.message, status: this.status, ...(this.target ? { target: this.target } : {}) };
  }

  static fromWire(wire: unknown): DomainError | undefined {
    if (typeof wire !== 'object' || wire === null) return undefined;
    const { code, message, target } = wire as Partial<RpcErrorWire>;
    if (!isErrorCode(code)) return undefined;
    return new DomainError(code, typeof message === 'string' ? message : undefined, target ? { target } : {});
  }
}

/** A domain error as it travels in a NATS reply's `err` field. */
export interface RpcErrorWire {
  code: ErrorCode;
  message: string;
  status: number;
  target?: ErrorTarget;
  /** Set for internal errors: the id under which the responder logged the detail. */
  errorId?: string;
}
