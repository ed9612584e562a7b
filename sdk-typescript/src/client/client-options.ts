// The options of a client connection, with their documented defaults.

import type { SinewError } from "../errors/sinew-error.js";
import type { SinewCredentials } from "./credentials.js";
import type { ReconnectPolicy } from "./reconnect-policy.js";
import type { SinewLogger } from "./sinew-logger.js";

/** Options of `SinewClient.connect`. Every duration is in milliseconds. */
export interface SinewClientOptions {
  /**
   * Broker addresses as `host:port` (`[ipv6]:port` for IPv6; the port defaults to 7420), tried
   * in order on every connect and reconnect.
   * @default ["127.0.0.1:7420"]
   */
  readonly endpoints?: readonly string[] | undefined;
  /**
   * The name the broker shows for this connection in its logs and admin view.
   * @default "@sinew/client"
   */
  readonly clientName?: string | undefined;
  /** Credentials, for a broker that requires authentication. */
  readonly credentials?: SinewCredentials | undefined;
  /**
   * The heartbeat interval to ask the broker for; the broker decides the interval both sides
   * use: a proposal of 1 s to 5 min, else its own. 0 leaves the choice to the broker. At most
   * 300000 (5 minutes).
   * A connection silent for three intervals is declared dead.
   * @default 10000
   */
  readonly heartbeatMs?: number | undefined;
  /**
   * How long one endpoint may take to accept the TCP connection and complete the handshake.
   * @default 10000
   */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * How long a request waits for the broker's answer before failing with an
   * `OperationTimeoutError`.
   * @default 30000
   */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * How long `close()` waits for the broker to acknowledge the unsubscriptions and the
   * `Goodbye` before it closes the socket anyway.
   * @default 2000
   */
  readonly closeTimeoutMs?: number | undefined;
  /** How the next operation reconnects after the connection dropped. */
  readonly reconnect?: ReconnectPolicy | undefined;
  /**
   * Called with errors that belong to no operation: the broker's failures of unconfirmed
   * publishes, errors it sends before closing the connection, and the loss of the connection
   * itself. It is called in a later turn of the event loop, never from inside the read loop,
   * in the order the errors occurred; an exception it throws is logged to `logger` and
   * otherwise ignored.
   * @default ignores them
   */
  readonly onError?: ((error: SinewError) => void) | undefined;
  /**
   * Receives warnings the client cannot hand to a caller: a settlement or pipelined
   * confirmation that failed while nothing awaited its promise, and exceptions thrown by
   * `onError`.
   * @default console
   */
  readonly logger?: SinewLogger | undefined;
  /** Aborts connecting; it has no effect once `connect` has resolved. */
  readonly signal?: AbortSignal | undefined;
}
