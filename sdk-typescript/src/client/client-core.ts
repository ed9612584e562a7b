// The state a client shares with its handles (publishers, subscriptions, deliveries): whether
// it is open, the current connection and how to get one, each connection's topology cache, and
// the subscriptions to end when it closes.

import { raceAbort } from "../async/abort.js";
import type { Connection, ConnectionEvents } from "../connection/connection.js";
import { maxListItemsOf } from "../connection/session-info.js";
import { BrokerError } from "../errors/broker-error.js";
import { ClientClosedError } from "../errors/client-closed-error.js";
import type { SinewError } from "../errors/sinew-error.js";
import { CatalogueView } from "../routing/catalogue-view.js";
import { TopologyCache, type QueueRoute } from "../routing/topology-cache.js";
import { CLIENT_VERSION } from "../version.js";
import type { Topology } from "../wire/generated/messages.js";
import { ConnectionManager } from "./connection-manager.js";
import { credentialsToAuth } from "./credentials.js";
import type { Catalogue } from "./catalogue.js";
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
  /** The catalogue as the client holds it, kept live by the broker's pushes. */
  readonly catalogue: CatalogueView;
  private readonly caches = new WeakMap<Connection, TopologyCache>();
  // The catalogue request under way on each connection, shared by everyone who waits for it.
  private readonly refreshes = new WeakMap<Connection, Promise<Topology>>();
  // Connections whose broker cannot answer TopologyRequest: routing there relies on declarations.
  private readonly topologyUnavailable = new WeakSet<Connection>();
  private closing: Promise<void> | undefined;
  private readonly closedController = new AbortController();
  private readonly closeNow = new AbortController();

  constructor(readonly options: ResolvedClientOptions) {
    this.catalogue = new CatalogueView((error) => options.logger.warn("sinew: a catalogue change listener threw; the error is ignored", error));
    const events: ConnectionEvents = {
      topology: (connection, topology) => this.applyTopology(connection, topology),
      goingAway: (_connection, notice) => {
        if (notice.reconnectTo !== undefined) this.manager.preferEndpoint(notice.reconnectTo);
      },
      unsolicitedError: (connection, error) => {
        // An unconfirmed publish routed by a stale catalogue: the message cannot be sent again
        // (nobody waits for it), but the next publishes route by a fresh catalogue.
        if (error.code === "redirect") this.onRedirect(connection);
        options.onError(error);
      },
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
      (connection) => {
        // Once the client holds a catalogue it keeps it live: a new session's catalogue is not
        // pushed until something changes, and the broker may have changed meanwhile. Routing
        // waits for this refresh.
        if (this.catalogue.current !== undefined) void this.refreshCatalogue(connection).catch(() => undefined);
      },
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
   * per connection when the queue is not in the cache. A catalogue refresh under way on the
   * connection (after a reconnection or a redirect) is waited for first.
   *
   * @returns the route, or `undefined` when the queue is unknown (it may not exist)
   */
  async route(connection: Connection, topic: string, group: string | undefined, signal?: AbortSignal): Promise<QueueRoute | undefined> {
    const underWay = this.refreshes.get(connection);
    // A failed refresh leaves routing to what the client knows; the broker still refuses a stale route.
    if (underWay !== undefined) await raceAbort(underWay.then(noop, noop), signal);
    const cache = this.cacheFor(connection);
    const known = cache.get(topic, group);
    if (known !== undefined || cache.isComplete || this.topologyUnavailable.has(connection)) return known;
    try {
      await raceAbort(this.refreshCatalogue(connection), signal);
    } catch (error) {
      // A broker that cannot answer leaves routing to declarations and to the broker itself;
      // any other failure (a lost connection, a timeout, an abort) is the caller's failure too.
      if (!(error instanceof BrokerError)) throw error;
      this.topologyUnavailable.add(connection);
    }
    return cache.get(topic, group);
  }

  /** Asks the broker for the catalogue and applies it to the connection's cache and the view. */
  async fetchTopology(connection: Connection, signal?: AbortSignal): Promise<Topology> {
    const topology = await connection.request(
      { op: "TopologyRequest" },
      {
        signal,
        context: { operation: "topology" },
        onReply: (reply) => {
          if (reply.op === "Topology") this.applyTopology(connection, reply);
        },
      },
    );
    return topology;
  }

  /** Applies a topology received on `connection` to its routing cache and to the view. */
  applyTopology(connection: Connection, topology: Topology): void {
    this.cacheFor(connection).applyTopology(topology);
    this.catalogue.apply(topology, connection.info.sessionId);
  }

  /**
   * Asks the broker for its catalogue on `connection`, or joins the request already under way
   * there. Callers that stop waiting leave it running.
   */
  refreshCatalogue(connection: Connection): Promise<Topology> {
    let pending = this.refreshes.get(connection);
    if (pending === undefined) {
      const request = this.fetchTopology(connection);
      pending = request.finally(() => {
        if (this.refreshes.get(connection) === pending) this.refreshes.delete(connection);
      });
      pending.catch(noop);
      this.refreshes.set(connection, pending);
    }
    return pending;
  }

  /**
   * The current catalogue: no round trip once a topology of the current session has arrived
   * (and no refresh is under way); otherwise one request first, connecting or reconnecting as
   * every operation does.
   */
  async readCatalogue(signal?: AbortSignal): Promise<Catalogue> {
    const connection = await this.acquire(signal);
    const session = connection.info.sessionId;
    const underWay = this.refreshes.get(connection);
    if (underWay === undefined && this.catalogue.isFrom(session)) return this.catalogue.current as Catalogue;
    try {
      await raceAbort(underWay ?? this.refreshCatalogue(connection), signal);
    } catch (error) {
      // A refresh someone else started failed, but the view already holds this session's catalogue.
      if (underWay === undefined || signal?.aborted === true || !this.catalogue.isFrom(session)) throw error;
    }
    return this.catalogue.current as Catalogue;
  }

  /**
   * After a declaration the view does not list yet, asks for the catalogue, so that reading it
   * right after declaring lists the queue (the broker's push would follow, but not before).
   */
  refreshUnlessListed(connection: Connection, topic: string, group: string | undefined, partitions: number): void {
    if (!this.catalogue.isFrom(connection.info.sessionId)) return;
    const entry = this.catalogue.current?.find(topic, group);
    if (entry?.kind === "queue" && entry.partitions === partitions) return;
    void this.refreshCatalogue(connection).catch(noop);
  }

  /** The broker answered `redirect` on `connection`: the routes used are stale, so the catalogue is refreshed. */
  onRedirect(connection: Connection): void {
    void this.refreshCatalogue(connection).catch(noop);
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

function noop(): void {}
