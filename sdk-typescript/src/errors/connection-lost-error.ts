// The error for an operation whose connection dropped while it was in flight.

import { SinewError } from "./sinew-error.js";

/**
 * The connection dropped while the operation was in flight. The operation is not replayed: it
 * may or may not have taken effect on the broker. The next operation reconnects first.
 */
export class ConnectionLostError extends SinewError {
  override readonly name = "ConnectionLostError";
  readonly code = "connection_lost";
  readonly isRetryable = true;
}
