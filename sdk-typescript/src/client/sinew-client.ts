// SinewClient: the entry point. Connects, declares queues, creates publishers, subscribes,
// reads the topology and closes; every operation reconnects first when the connection dropped.

import { checkDurationMs, checkGroup, checkName, checkOptionsObject, checkSignal, checkU32 } from "../argument-checks.js";
import { asyncDispose } from "../async/dispose.js";
import { formatEndpoint } from "../connection/endpoint.js";
import { InvalidArgumentError } from "../errors/invalid-argument-error.js";
import type { OperationOptions } from "../operation-options.js";
import { Publisher } from "../publish/publisher.js";
import type { PublisherOptions, ReliablePublisherOptions } from "../publish/publisher-options.js";
import { ReliablePublisher } from "../publish/reliable-publisher.js";
import { DeadLetterPolicy, deadLetterPolicyFromWire, deadLetterPolicyToWire } from "../queue/dead-letter-policy.js";
import type { QueueInfo, QueueOptions } from "../queue/queue-options.js";
import { SUBSCRIBE_DEFAULTS, type SubscribeOptions } from "../subscribe/subscribe-options.js";
import { Subscription } from "../subscribe/subscription.js";
import { SubscriptionFeed } from "../subscribe/subscription-feed.js";
import type { AckMode } from "../wire/generated/enums.js";
import { ClientCore } from "./client-core.js";
import type { SinewClientOptions } from "./client-options.js";
import { resolveClientOptions } from "./resolved-options.js";
import type { ServerInfo } from "./server-info.js";
import type { Catalogue, CatalogueChange } from "./catalogue.js";
import { watchCatalogue } from "./catalogue-watcher.js";
import { topologyFromWire, type Topology } from "./topology.js";

/**
 * A client of a Sinew broker, holding one connection. Create it with
 * {@link SinewClient.connect}; close it with {@link SinewClient.close} or `await using`.
 *
 * When the connection drops, operations in flight fail with `ConnectionLostError` (they are not
 * replayed), subscriptions end with reason `connection_lost`, and the next operation reconnects
 * first under the reconnect policy. Publishers keep working on the new connection.
 */
export class SinewClient implements AsyncDisposable {
  readonly #core: ClientCore;

  private constructor(core: ClientCore) {
    this.#core = core;
  }

  /**
   * Connects to the first endpoint that completes the handshake, trying each once, in order.
   *
   * @throws InvalidArgumentError when an option is invalid
   * @throws ConnectionError when no endpoint could be reached or none is a Sinew broker
   * @throws BrokerError when the broker refused the handshake (`unauthorized`, `protocol_mismatch`)
   */
  static async connect(options: SinewClientOptions = {}): Promise<SinewClient> {
    const resolved = resolveClientOptions(options);
    const core = new ClientCore(resolved);
    await core.manager.connectFirst(options.signal);
    return new SinewClient(core);
  }

  /** Whether the client has an open connection right now. */
  get isConnected(): boolean {
    return this.#core.manager.connection?.isOpen === true && !this.#core.isClosed;
  }

  /** Whether {@link SinewClient.close} has been called. */
  get isClosed(): boolean {
    return this.#core.isClosed;
  }

  /**
   * The options the client was made with, every default filled in (endpoints as text, the
   * resolved reconnect policy); frozen. The `signal` of `connect` is not kept.
   */
  get options(): SinewClientOptions {
    const options = this.#core.options;
    return Object.freeze({
      endpoints: Object.freeze(options.endpoints.map(formatEndpoint)),
      clientName: options.clientName,
      credentials: options.credentials,
      heartbeatMs: options.heartbeatMs,
      connectTimeoutMs: options.connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      closeTimeoutMs: options.closeTimeoutMs,
      reconnect: options.reconnect,
      onError: options.onError,
      logger: options.logger,
    });
  }

  /**
   * Connects now if the client has no open connection: after a drop it reconnects under the
   * reconnect policy, as the next operation would. Useful to fail fast, or in a health check.
   *
   * @throws ConnectionError when no endpoint could be reached, or every reconnect attempt failed
   * @throws BrokerError when the broker refused the handshake
   * @throws ClientClosedError when the client is closed
   */
  async ensureConnected(options: OperationOptions = {}): Promise<void> {
    checkOptionsObject("options", options);
    await this.#core.acquire(checkSignal("signal", options.signal));
  }

  /** The broker and session of the current connection, or `undefined` while disconnected. */
  get serverInfo(): ServerInfo | undefined {
    const connection = this.#core.manager.connection;
    if (connection === undefined || !connection.isOpen) return undefined;
    const info = connection.info;
    return Object.freeze({
      endpoint: formatEndpoint(connection.endpoint),
      serverId: info.serverId,
      serverVersion: info.serverVersion,
      sessionId: info.sessionId,
      protocolVersion: info.protocolVersion,
      heartbeatMs: info.heartbeatMs,
      limits: info.limits,
    });
  }

  /**
   * Creates a queue, or confirms an existing one whose settings resolve to the same values.
   *
   * @param topic - the queue's topic
   * @returns the queue's effective settings
   * @throws InvalidArgumentError when the topic, group or an option is invalid (nothing is sent)
   * @throws BrokerError `conflict` when the queue exists with other settings
   */
  async declareQueue(topic: string, options: QueueOptions = {}): Promise<QueueInfo> {
    checkName("topic", topic);
    checkOptionsObject("options", options);
    const group = checkGroup("group", options.group);
    const signal = checkSignal("signal", options.signal);
    if (options.deadLetter !== undefined && !(options.deadLetter instanceof DeadLetterPolicy)) {
      throw new InvalidArgumentError(
        "deadLetter",
        "deadLetter must be DeadLetterPolicy.discard(), DeadLetterPolicy.global() or DeadLetterPolicy.toQueue(topic, group)",
        { reason: "wrong_type" },
      );
    }
    const request = {
      op: "DeclareQueue" as const,
      topic,
      ...(group === undefined ? {} : { group }),
      ...(options.partitions === undefined ? {} : { partitions: checkU32("partitions", options.partitions, 1) }),
      ...(options.deadLetter === undefined ? {} : { deadLetter: deadLetterPolicyToWire(options.deadLetter) }),
      ...(options.maxRetries === undefined ? {} : { maxRetries: checkU32("maxRetries", options.maxRetries) }),
      ...(options.defaultTtlMs === undefined
        ? {}
        : { defaultTtlMs: BigInt(checkDurationMs("defaultTtlMs", options.defaultTtlMs, "DeclareQueue.default_ttl_ms")) }),
      ...(options.leaseMs === undefined ? {} : { leaseMs: BigInt(checkDurationMs("leaseMs", options.leaseMs, "DeclareQueue.lease_ms")) }),
    };
    const connection = await this.#core.acquire(signal);
    const reply = await connection.request(request, {
      signal,
      context: { operation: "declareQueue", topic, group },
      onReply: (ok) => {
        if (ok.op === "DeclareQueueOk") this.#core.cacheFor(connection).applyDeclared(topic, group, ok.partitions);
      },
    });
    this.#core.refreshUnlessListed(connection, topic, group, reply.partitions);
    return Object.freeze({
      topic,
      group,
      created: reply.created,
      partitions: reply.partitions,
      deadLetter: deadLetterPolicyFromWire(reply.deadLetter),
      maxRetries: reply.maxRetries,
      defaultTtlMs: reply.defaultTtlMs === undefined ? undefined : Number(reply.defaultTtlMs),
      leaseMs: Number(reply.leaseMs),
    });
  }

  /**
   * Creates a publisher for a queue. Nothing is sent until the first publish.
   *
   * @throws InvalidArgumentError when the topic, group or an option is invalid
   * @throws ClientClosedError when the client is closed
   */
  createPublisher(topic: string, options?: PublisherOptions): Publisher {
    this.#core.assertOpen();
    return new Publisher(this.#core, checkName("topic", topic), options);
  }

  /**
   * Creates a reliable publisher for a queue: every message carries a producer id and sequence
   * number, and retryable failures are retried until confirmed.
   *
   * @throws InvalidArgumentError when the topic, group, producer id or an option is invalid
   * @throws ClientClosedError when the client is closed
   */
  createReliablePublisher(topic: string, options?: ReliablePublisherOptions): ReliablePublisher {
    this.#core.assertOpen();
    return new ReliablePublisher(this.#core, checkName("topic", topic), options);
  }

  /**
   * Subscribes to a queue. Without `partition`, one broker subscription per partition is
   * opened and their deliveries are merged; `prefetch` applies to each. The topic may name a
   * queue the broker owns, such as `$dead-letters`, where dead letters go under the `global`
   * policy.
   *
   * @throws InvalidArgumentError when the topic, group or an option is invalid (nothing is sent)
   * @throws BrokerError `not_found` when the queue does not exist
   */
  async subscribe(topic: string, options: SubscribeOptions = {}): Promise<Subscription> {
    // A queue the broker owns, such as `$dead-letters`, may be consumed though not declared or
    // published to.
    checkName("topic", topic, { brokerOwnedTopic: true });
    checkOptionsObject("options", options);
    const group = checkGroup("group", options.group);
    const signal = checkSignal("signal", options.signal);
    const ackMode: AckMode = options.ackMode ?? SUBSCRIBE_DEFAULTS.ackMode;
    if (ackMode !== "manual" && ackMode !== "auto") {
      throw new InvalidArgumentError("ackMode", `ackMode must be "manual" or "auto", got ${JSON.stringify(ackMode)}`, { reason: "wrong_type" });
    }
    const prefetch = checkU32("prefetch", options.prefetch ?? SUBSCRIBE_DEFAULTS.prefetch, 1);
    const partition = options.partition === undefined ? undefined : checkU32("partition", options.partition);
    const connection = await this.#core.acquire(signal);
    const maxPrefetch = connection.info.limits.maxPrefetch;
    if (prefetch > maxPrefetch) {
      throw new InvalidArgumentError("prefetch", `prefetch must be from 1 to the broker's maxPrefetch of ${maxPrefetch}, got ${prefetch}`, {
        reason: "out_of_range",
      });
    }
    const route = await this.#core.route(connection, topic, group, signal);
    let partitions: (number | undefined)[];
    if (partition !== undefined) {
      if (route !== undefined && partition >= route.partitions) {
        throw new InvalidArgumentError("partition", `the queue ${topic} has ${route.partitions} partitions (0 to ${route.partitions - 1}), got ${partition}`, {
          reason: "out_of_range",
        });
      }
      partitions = [partition];
    } else if (route !== undefined) {
      partitions = Array.from({ length: route.partitions }, (_, index) => index);
    } else {
      // Unknown partition count: one broker subscription covering every partition.
      partitions = [undefined];
    }
    return new Subscription(await SubscriptionFeed.open(this.#core, connection, { topic, group, ackMode, prefetch, partitions }, signal));
  }

  /** Reads the broker's catalogue of queues and streams, and refreshes the routing cache with it. */
  async topology(options: OperationOptions = {}): Promise<Topology> {
    checkOptionsObject("options", options);
    const signal = checkSignal("signal", options.signal);
    const connection = await this.#core.acquire(signal);
    return topologyFromWire(await this.#core.fetchTopology(connection, signal));
  }

  /**
   * The broker's queues and streams as the client holds them. The client keeps this view live
   * from the broker's pushes, so once it holds the catalogue of the current session this costs
   * no round trip; the first call in a session (and a call right after a declaration the view
   * does not list yet) asks the broker once. Like every operation it reconnects first after a
   * drop; after a reconnection the client asks for a fresh catalogue and reports what differs
   * from the view it held as a change.
   *
   * @throws BrokerError, ConnectionError, ClientClosedError
   */
  async catalogue(options: OperationOptions = {}): Promise<Catalogue> {
    checkOptionsObject("options", options);
    return this.#core.readCatalogue(checkSignal("signal", options.signal));
  }

  /**
   * The changes of the catalogue from now on, for `for await`: each says which queues and
   * streams were added, removed or changed (partition count or routing version) since the
   * previous one. When the client holds no view yet, the first `next()` establishes it as
   * {@link SinewClient.catalogue} does. The iteration ends when the client closes; `signal`
   * makes a waiting `next()` reject.
   *
   * A watcher that is not read keeps no backlog: when it reads again it receives one change
   * merging everything since its previous read (a queue added and removed meanwhile appears in
   * neither list), so its memory does not grow however many changes it missed. Watching does
   * not reconnect by itself: the next operation does, and the fresh catalogue it brings is
   * reported as a change.
   *
   * @throws ClientClosedError when the client is closed
   */
  watchCatalogue(options: OperationOptions = {}): AsyncIterableIterator<CatalogueChange> {
    checkOptionsObject("options", options);
    const signal = checkSignal("signal", options.signal);
    this.#core.assertOpen();
    return watchCatalogue(this.#core, signal);
  }

  /**
   * Calls `listener` with every change of the catalogue, at once and in order, while it is
   * registered. Changes are relative to a view the client already holds: call
   * {@link SinewClient.catalogue} first to be sure of the starting point (registering a listener
   * on a connected client that holds no view asks for one). What the listener throws goes to the
   * logger and is otherwise ignored.
   *
   * @returns a function that removes the listener
   */
  onCatalogueChange(listener: (change: CatalogueChange) => void): () => void {
    if (typeof listener !== "function") {
      throw new InvalidArgumentError("listener", "listener must be a function", { reason: "wrong_type" });
    }
    const remove = this.#core.catalogue.listen(listener);
    const connection = this.#core.manager.connection;
    if (this.#core.catalogue.current === undefined && connection?.isOpen === true && !this.#core.isClosed) {
      void this.#core.refreshCatalogue(connection).catch(() => undefined);
    }
    return remove;
  }

  /**
   * Closes the client: ends every subscription (their iterators throw `SubscriptionEndedError`
   * with reason `client_closed`) and unsubscribes them, sends `Goodbye` so the broker returns
   * unsettled deliveries to their queues, waits up to `closeTimeoutMs` for the broker's
   * answers, then closes the socket and stops every timer. Operations still waiting fail with
   * `ClientClosedError`. Calling it again returns the same promise, which never rejects.
   *
   * @param options - `signal` stops waiting for the broker: the socket is closed at once
   */
  close(options: OperationOptions = {}): Promise<void> {
    return this.#core.close(checkSignal("signal", options.signal));
  }

  /** Closes the client, for `await using`. */
  [asyncDispose](): Promise<void> {
    return this.close();
  }
}
