// The error for an operation whose connection dropped while it was in flight.

import { SinewError, type SinewErrorOptions } from "./sinew-error.js";

/** Options of a {@link ConnectionLostError}. */
export interface ConnectionLostErrorOptions extends SinewErrorOptions {
  /** The endpoint whose connection dropped, as `host:port`. */
  readonly endpoint?: string | undefined;
}

/**
 * The connection dropped while the operation was in flight. The operation is not replayed: it
 * may or may not have taken effect on the broker. The next operation reconnects first.
 */
export class ConnectionLostError extends SinewError {
  override readonly name = "ConnectionLostError";
  readonly code = "connection_lost";
  readonly isRetryable = true;
  /**
   * The endpoint whose connection dropped, as `host:port`; `undefined` when no connection was
   * involved (reconnecting is disabled and the connection was already gone).
   */
  readonly endpoint: string | undefined;

  /**
   * @param message - what happened and what to do
   * @param options - the endpoint and the cause, if any
   */
  constructor(message: string, options: ConnectionLostErrorOptions = {}) {
    super(message, options);
    this.endpoint = options.endpoint;
  }
}
