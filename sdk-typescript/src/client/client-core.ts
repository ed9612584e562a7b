// The state a client shares with its handles (publishers, subscriptions, deliveries): whether
// it is open, the current connection and how to get one, each connection's topology cache, and
// the subscriptions to end when it closes.

import { raceAbort } from "../async/abort.js";
import type { Connection, ConnectionEvents } from "../connection/connection.js";
import { maxListItemsOf } from "../connection/session-info.js";
import { BrokerError } from "../errors/broker-error.js";
import { ClientClosedError } from "../errors/client-closed-error.js";
import type { SinewError } from "../errors/sinew-error.js";
import { TopologyCache, type QueueRoute } from "../routing/topology-cache.js";
import { CLIENT_VERSION } from "../version.js";
import type { Topology } from "../wire/generated/messages.js";
import { ConnectionManager } from "./connection-manager.js";
import { credentialsToAuth } from "./credentials.js";
import type { ResolvedClientOptions } from "./resolved-options.js";

/**
 * A subscription as the client sees it when closing.
 * @internal
 */
export interface ClosableSubscription {
  /**
   * Ends the subscription because the client is closing. Its Unsubscribe frames are written
   * before this returns; the promise settles when they are answered or the connection ends.
   */
  endForClientClose(): Promise<void>;
  /** The deliveries handed to the application and not settled on `connection`, at most `maxItems`. */
  handedOutOn(connection: Connection, maxItems: number): bigint[];
}

/** The client's shared state and infrastructure. */
export class ClientCore {
  readonly manager: ConnectionManager;
  /** Open subscriptions, ended when the client closes. */
  readonly subscriptions = new Set<ClosableSubscription>();
  private readonly caches = new WeakMap<Connection, TopologyCache>();
  private readonly topologyFetches = new WeakMap<Connection, Promise<void>>();
  // Connections whose broker cannot answer TopologyRequest: routing there relies on declarations.
  private readonly topologyUnavailable = new WeakSet<Connection>();
  private closing: Promise<void> | undefined;
  private readonly closedController = new AbortController();
  private readonly closeNow = new AbortController();

  constructor(readonly options: ResolvedClientOptions) {
    const events: ConnectionEvents = {
      topology: (connection, topology) => {
        this.cacheFor(connection).applyTopology(topology);
      },
      goingAway: (_connection, notice) => {
        if (notice.reconnectTo !== undefined) this.manager.preferEndpoint(notice.reconnectTo);
      },
      unsolicitedError: (_connection, error) => options.onError(error),
      closed: (_connection, cause, byClient) => {
        if (!byClient) options.onError(cause);
      },
    };
    this.manager = new ConnectionManager(
      options,
      {
        clientName: options.clientName,
        clientVersion: CLIENT_VERSION,
        auth: options.credentials === undefined ? undefined : credentialsToAuth(options.credentials),
        heartbeatMs: options.heartbeatMs,
        connectTimeoutMs: options.connectTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs,
      },
      events,
    );
  }

  /** Whether `close()` has been called. */
  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /** Aborts, with a `ClientClosedError`, when the client starts closing: it stops handles' waits. */
  get closedSignal(): AbortSignal {
    return this.closedController.signal;
  }

  /** @throws ClientClosedError once the client is closed */
  assertOpen(): void {
    if (this.closing !== undefined) throw new ClientClosedError("the client was closed");
  }

  /** The open connection, reconnecting first if needed (see `ConnectionManager.acquire`). */
  acquire(signal?: AbortSignal): Promise<Connection> {
    if (this.closing !== undefined) return Promise.reject(new ClientClosedError("the client was closed"));
    return this.manager.acquire(signal);
  }

  /** The topology cache of a connection's session. */
  cacheFor(connection: Connection): TopologyCache {
    let cache = this.caches.get(connection);
    if (cache === undefined) {
      cache = new TopologyCache();
      this.caches.set(connection, cache);
    }
    return cache;
  }

  /**
   * What the client knows about routing to a queue, asking the broker for the topology once
   * per connection when the queue is not in the cache.
   *
   * @returns the route, or `undefined` when the queue is unknown (it may not exist)
   */
  async route(connection: Connection, topic: string, group: string | undefined, signal?: AbortSignal): Promise<QueueRoute | undefined> {
    const cache = this.cacheFor(connection);
    const known = cache.get(topic, group);
    if (known !== undefined || cache.isComplete || this.topologyUnavailable.has(connection)) return known;
    let pending = this.topologyFetches.get(connection);
    if (pending === undefined) {
      const fetched = this.fetchTopology(connection).then(
        () => undefined,
        (error: unknown) => {
          // A broker that cannot answer leaves routing to declarations and to the broker itself;
          // any other failure (a lost connection, a timeout) is the caller's failure too.
          if (error instanceof BrokerError) this.topologyUnavailable.add(connection);
          else throw error;
        },
      );
      pending = fetched.finally(() => this.topologyFetches.delete(connection));
      // Callers that gave up (aborted) leave the shared fetch without a listener.
      pending.catch(() => undefined);
      this.topologyFetches.set(connection, pending);
    }
    await raceAbort(pending, signal);
    return cache.get(topic, group);
  }

  /** Asks the broker for the catalogue and applies it to the connection's cache. */
  async fetchTopology(connection: Connection, signal?: AbortSignal): Promise<Topology> {
    const topology = await connection.request(
      { op: "TopologyRequest" },
      {
        signal,
        context: { operation: "topology" },
        onReply: (reply) => {
          if (reply.op === "Topology") this.cacheFor(connection).applyTopology(reply);
        },
      },
    );
    return topology;
  }

  /** Reports an error that belongs to no operation. */
  reportError(error: SinewError): void {
    this.options.onError(error);
  }

  /**
   * Closes the client: ends every subscription (unsubscribing), sends `Goodbye`, waits for the
   * broker's answers up to `closeTimeoutMs` (or until `signal` aborts), then destroys the
   * socket and stops every timer. Idempotent: every call returns the same promise, which never
   * rejects; a later call's signal can still cut the wait short.
   */
  close(signal?: AbortSignal): Promise<void> {
    if (signal !== undefined) {
      if (signal.aborted) this.closeNow.abort();
      else signal.addEventListener("abort", () => this.closeNow.abort(), { once: true });
    }
    this.closing ??= this.shutDown();
    return this.closing;
  }

  // The Goodbye's list: what the session's subscriptions still hold after their Unsubscribes
  // (which listed and released their own), so normally none; still a list, since an absent one
  // would count a failure for every delivery the broker returns.
  private handedOutOn(connection: Connection, subscriptions: readonly ClosableSubscription[]): bigint[] {
    if (!connection.isOpen) return [];
    const maxItems = maxListItemsOf(connection.info.limits);
    const listed: bigint[] = [];
    for (const subscription of subscriptions) {
      if (listed.length >= maxItems) break;
      listed.push(...subscription.handedOutOn(connection, maxItems - listed.length));
    }
    return listed;
  }

  private async shutDown(): Promise<void> {
    this.closedController.abort(new ClientClosedError("the client was closed"));
    this.manager.stop();
    const connection = this.manager.connection;
    // Each subscription writes its Unsubscribe frames before returning, so they leave ahead of
    // the Goodbye, and the broker's Ok to the Goodbye comes after their answers.
    const subscriptions = [...this.subscriptions];
    const unsubscribed = subscriptions.map((subscription) => subscription.endForClientClose());
    this.subscriptions.clear();
    if (connection === undefined) return;
    await connection.goodbye(this.handedOutOn(connection, subscriptions), this.options.closeTimeoutMs, this.closeNow.signal);
    connection.destroy(new ClientClosedError("the client was closed"));
    await Promise.allSettled(unsubscribed);
  }
}
