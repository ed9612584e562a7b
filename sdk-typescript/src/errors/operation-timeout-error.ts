// The error for a request the broker did not answer in time.

import { SinewError, type SinewErrorOptions } from "./sinew-error.js";

/** Options of an {@link OperationTimeoutError}. */
export interface OperationTimeoutErrorOptions extends SinewErrorOptions {
  /** The time limit that expired, in milliseconds. */
  readonly timeoutMs?: number | undefined;
}

/**
 * The broker did not answer within the request timeout (`SinewClientOptions.requestTimeoutMs`).
 * The request may still take effect on the broker.
 */
export class OperationTimeoutError extends SinewError {
  override readonly name = "OperationTimeoutError";
  readonly code = "timeout";
  readonly isRetryable = true;
  /** The time limit that expired, in milliseconds; `undefined` when not known. */
  readonly timeoutMs: number | undefined;

  /**
   * @param message - what happened and what to do
   * @param options - the time limit and the cause, if any
   */
  constructor(message: string, options: OperationTimeoutErrorOptions = {}) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}
