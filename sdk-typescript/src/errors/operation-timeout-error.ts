// The error for a request the broker did not answer in time.

import { SinewError } from "./sinew-error.js";

/**
 * The broker did not answer within the request timeout (`SinewClientOptions.requestTimeoutMs`).
 * The request may still take effect on the broker.
 */
export class OperationTimeoutError extends SinewError {
  override readonly name = "OperationTimeoutError";
  readonly code = "timeout";
  readonly isRetryable = true;
}
