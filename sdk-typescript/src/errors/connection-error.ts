// The error for a connection that could not be opened or whose handshake did not complete.

import { SinewError } from "./sinew-error.js";

/**
 * The client could not connect to any endpoint, or the handshake did not complete: the
 * connection was refused, timed out, closed early, or the peer is not a Sinew broker. A broker
 * that answers the handshake with an error raises a `BrokerError` instead.
 */
export class ConnectionError extends SinewError {
  override readonly name = "ConnectionError";
  readonly code = "connection_failed";
  readonly isRetryable = true;
}
