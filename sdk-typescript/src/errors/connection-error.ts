// The error for a connection that could not be opened or whose handshake did not complete, and
// the record of each endpoint it tried.

import { SinewError, type SinewErrorOptions } from "./sinew-error.js";

/** One endpoint a connect or reconnect tried, and why it failed there. */
export interface ConnectionFailure {
  /** The endpoint as `host:port`. */
  readonly endpoint: string;
  /** Why connecting to it failed: a `ConnectionError` (refused, timed out, not a Sinew broker) or a retryable `BrokerError`. */
  readonly error: SinewError;
}

/** Options of a {@link ConnectionError}. */
export interface ConnectionErrorOptions extends SinewErrorOptions {
  /** Each endpoint tried, with the error it gave, in order. @default [] */
  readonly failures?: readonly ConnectionFailure[];
}

/**
 * The client could not connect to any endpoint, or the handshake did not complete: the
 * connection was refused, timed out, closed early, or the peer is not a Sinew broker. A broker
 * that answers the handshake with an error raises a `BrokerError` instead.
 */
export class ConnectionError extends SinewError {
  override readonly name = "ConnectionError";
  readonly code = "connection_failed";
  readonly isRetryable = true;
  /**
   * Each endpoint tried, with the error it gave, in the order tried (every attempt of a
   * reconnect); empty when the failure concerns one connection's handshake rather than a
   * choice of endpoints.
   */
  readonly failures: readonly ConnectionFailure[];

  /**
   * @param message - what happened and what to do
   * @param options - the endpoints tried and the cause, if any
   */
  constructor(message: string, options: ConnectionErrorOptions = {}) {
    super(message, options);
    this.failures = Object.freeze([...(options.failures ?? [])]);
  }
}
