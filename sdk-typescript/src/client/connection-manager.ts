// Owning the client's one connection: the first connect (each endpoint once, in order), and
// reconnecting before the next operation after the connection dropped, with bounded attempts
// and exponential backoff shared by every operation waiting for it.

import { raceAbort, sleep } from "../async/abort.js";
import { Connection, type ConnectionEvents } from "../connection/connection.js";
import type { ConnectionSettings } from "../connection/connection-settings.js";
import { formatEndpoint, parseEndpoint, type Endpoint } from "../connection/endpoint.js";
import { BrokerError } from "../errors/broker-error.js";
import { ClientClosedError } from "../errors/client-closed-error.js";
import { SinewError } from "../errors/sinew-error.js";
import { ConnectionError, type ConnectionFailure } from "../errors/connection-error.js";
import { backoffDelayMs } from "./reconnect-policy.js";
import type { ResolvedClientOptions } from "./resolved-options.js";

/** Connects, reconnects and hands out the current connection. */
export class ConnectionManager {
  private current: Connection | undefined;
  private reconnecting: Promise<Connection> | undefined;
  private preferred: Endpoint | undefined;
  private readonly shutdown = new AbortController();

  /**
   * @param options - the client's options
   * @param settings - what each connection opens with
   * @param events - the owner's handlers for every connection's events
   * @param reconnected - called when a reconnection has made a new connection current, before
   *   the operations waiting for it continue
   */
  constructor(
    private readonly options: ResolvedClientOptions,
    private readonly settings: ConnectionSettings,
    private readonly events: ConnectionEvents,
    private readonly reconnected: (connection: Connection) => void = () => undefined,
  ) {}

  /** The current connection, open or not, if there is one. */
  get connection(): Connection | undefined {
    return this.current;
  }

  /**
   * The first connection: every endpoint once, in order.
   *
   * @throws ConnectionError when no endpoint completes the handshake
   * @throws BrokerError when a broker refuses the handshake
   */
  async connectFirst(signal?: AbortSignal): Promise<Connection> {
    const connection = await this.openAny(signal);
    this.current = connection;
    return connection;
  }

  /**
   * The open connection, reconnecting first if it dropped. Operations arriving while a
   * reconnect runs share it.
   *
   * @throws ConnectionError when every reconnect attempt failed
   * @throws BrokerError when the broker refused the handshake
   * @throws ClientClosedError when the client was closed
   */
  acquire(signal?: AbortSignal): Promise<Connection> {
    if (this.shutdown.signal.aborted) return Promise.reject(new ClientClosedError("the client was closed"));
    const connection = this.current;
    if (connection?.isOpen === true) return Promise.resolve(connection);
    if (this.reconnecting === undefined) {
      const attempt = this.reconnect().finally(() => {
        this.reconnecting = undefined;
      });
      // Waiters may all have given up (aborted); the outcome then has nobody to report to.
      attempt.catch(() => undefined);
      this.reconnecting = attempt;
    }
    return raceAbort(this.reconnecting, signal);
  }

  /** Tries `reconnect_to` from a broker's drain notice first on the next reconnect. */
  preferEndpoint(text: string): void {
    const parsed = parseEndpoint(text);
    if (typeof parsed !== "string") this.preferred = parsed;
  }

  /** Stops reconnecting for good; waiting operations fail with `ClientClosedError`. */
  stop(): void {
    this.shutdown.abort(new ClientClosedError("the client was closed"));
  }

  private async reconnect(): Promise<Connection> {
    const policy = this.options.reconnect;
    if (policy.maxAttempts === 0) {
      throw new ConnectionError("the connection to the broker was lost and reconnecting is disabled (reconnect.maxAttempts is 0)");
    }
    let lastError: unknown;
    const failures: ConnectionFailure[] = [];
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const delayMs = backoffDelayMs(policy, attempt);
      if (delayMs > 0) await sleep(delayMs, this.shutdown.signal);
      try {
        const connection = await this.openAny(this.shutdown.signal);
        if (this.shutdown.signal.aborted) {
          connection.destroy(new ClientClosedError("the client was closed"));
          throw this.shutdown.signal.reason;
        }
        this.current = connection;
        this.reconnected(connection);
        return connection;
      } catch (error) {
        if (this.shutdown.signal.aborted) throw this.shutdown.signal.reason;
        if (error instanceof BrokerError) throw error;
        lastError = error;
        if (error instanceof ConnectionError) failures.push(...error.failures);
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new ConnectionError(`could not reconnect to the broker after ${policy.maxAttempts} attempts: ${reason}`, { cause: lastError, failures });
  }

  private endpointsInOrder(): Endpoint[] {
    const preferred = this.preferred;
    if (preferred === undefined) return [...this.options.endpoints];
    const rest = this.options.endpoints.filter((endpoint) => endpoint.host !== preferred.host || endpoint.port !== preferred.port);
    return [preferred, ...rest];
  }

  private async openAny(signal: AbortSignal | undefined): Promise<Connection> {
    const failures: ConnectionFailure[] = [];
    let lastError: unknown;
    for (const endpoint of this.endpointsInOrder()) {
      try {
        return await Connection.open(endpoint, this.settings, this.events, signal);
      } catch (error) {
        // A broker that refused the handshake has answered; other endpoints of the same
        // deployment would answer the same. An abort stops the search too.
        if (error instanceof BrokerError || signal?.aborted === true) throw error;
        lastError = error;
        if (!(error instanceof SinewError)) throw error;
        failures.push({ endpoint: formatEndpoint(endpoint), error });
      }
    }
    // With one endpoint its own error says it all; the failures are listed either way.
    const only = failures.length === 1 ? failures[0]?.error : undefined;
    if (only instanceof ConnectionError) throw new ConnectionError(only.message, { cause: only.cause, failures });
    throw new ConnectionError(`could not connect to any broker endpoint: ${failures.map((f) => f.error.message).join("; ")}`, { cause: lastError, failures });
  }
}
