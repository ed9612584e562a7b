// A subscription: one broker subscription per partition (or one for a single partition),
// merged into one async iterable of deliveries. It ends quietly when the caller closes it and
// with a SubscriptionEndedError carrying the reason in every other case.

import { checkSignal } from "../argument-checks.js";
import { raceAbort } from "../async/abort.js";
import { asyncDispose } from "../async/dispose.js";
import type { ClientCore } from "../client/client-core.js";
import type { Connection } from "../connection/connection.js";
import type { SubscriptionSink } from "../connection/subscription-sink.js";
import type { SinewError } from "../errors/sinew-error.js";
import { SubscriptionEndedError } from "../errors/subscription-ended-error.js";
import type { OperationOptions } from "../operation-options.js";
import { FanIn } from "../routing/fan-in.js";
import type { AckMode, CloseReason } from "../wire/generated/enums.js";
import type { DeliveredMessage, SubscribeOk } from "../wire/generated/messages.js";
import { Delivery, type DeliverySource } from "./delivery.js";
import type { SubscriptionEndReason } from "./subscription-end-reason.js";

/** What a subscription is opened with. @internal */
export interface SubscriptionParameters {
  readonly topic: string;
  readonly group: string | undefined;
  readonly ackMode: AckMode;
  readonly prefetch: number;
  /** One entry per broker subscription: a partition, or `undefined` for every partition. */
  readonly partitions: readonly (number | undefined)[];
}

interface BrokerSubscription {
  readonly id: bigint;
  readonly partitions: readonly number[];
  active: boolean;
}

type State = "opening" | "active" | "closed" | "ended";

/**
 * Deliveries from one queue, as an async iterable: `for await (const delivery of subscription)`.
 * Created by `client.subscribe(topic, options)`.
 *
 * Iteration ends quietly when the caller closes the subscription (or leaves the loop with
 * `break`, which closes it). In every other case — the broker ended it, the connection dropped,
 * the client was closed — iteration throws a {@link SubscriptionEndedError} whose `reason` says
 * why; it never stops silently. Deliveries not yet handed out when a manual-ack subscription
 * ends are dropped (the broker returns them to the queue); an auto-ack subscription first hands
 * out the deliveries it already received.
 */
export class Subscription implements AsyncIterable<Delivery>, AsyncDisposable {
  /** The queue's topic. */
  readonly topic: string;
  /** The queue's group, or `undefined` for none. */
  readonly group: string | undefined;
  /** How deliveries are acknowledged. */
  readonly ackMode: AckMode;
  /** The most unsettled deliveries held at once, per partition. */
  readonly prefetch: number;

  #state: State = "opening";
  #endReason: SubscriptionEndReason | undefined;
  #closing: Promise<void> | undefined;
  #readingPaused = false;
  // Fixed when subscribing, so the threshold does not move while the partition subscriptions
  // are still being accepted.
  readonly #highWater: number;
  readonly #brokerSubscriptions: BrokerSubscription[] = [];
  readonly #queue = new FanIn<Delivery>();
  readonly #core: ClientCore;
  readonly #connection: Connection;
  readonly #source: DeliverySource;

  private constructor(core: ClientCore, connection: Connection, parameters: SubscriptionParameters) {
    this.topic = parameters.topic;
    this.group = parameters.group;
    this.ackMode = parameters.ackMode;
    this.prefetch = parameters.prefetch;
    this.#highWater = parameters.prefetch * Math.max(1, parameters.partitions.length);
    this.#core = core;
    this.#connection = connection;
    this.#source = Object.freeze({ core, connection, topic: this.topic, group: this.group, ackMode: this.ackMode });
  }

  /**
   * Sends the Subscribe frames (pipelined) and resolves once the broker accepted them all. If
   * any is refused, the others are unsubscribed and the refusal is thrown.
   *
   * @internal Use `SinewClient.subscribe`.
   */
  static async open(core: ClientCore, connection: Connection, parameters: SubscriptionParameters, signal?: AbortSignal): Promise<Subscription> {
    const subscription = new Subscription(core, connection, parameters);
    core.subscriptions.add(subscription);
    // The requests carry no signal: a Subscribe the broker accepts after the caller gave up
    // must still be seen, so that it is unsubscribed instead of holding messages.
    const requests = parameters.partitions.map((partition) =>
      connection.request(
        {
          op: "Subscribe",
          topic: parameters.topic,
          ...(parameters.group === undefined ? {} : { group: parameters.group }),
          ...(partition === undefined ? {} : { partition }),
          ackMode: parameters.ackMode,
          prefetch: parameters.prefetch,
        },
        {
          context: { operation: "subscribe", topic: parameters.topic, group: parameters.group },
          onReply: (reply) => subscription.attach(reply as SubscribeOk),
        },
      ),
    );
    let outcomes: PromiseSettledResult<unknown>[];
    try {
      outcomes = await raceAbort(Promise.allSettled(requests), signal);
    } catch (error) {
      subscription.abandon();
      throw error;
    }
    const refused = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (refused !== undefined) {
      subscription.abandon();
      throw refused.reason;
    }
    if (subscription.#state === "opening") subscription.#state = "active";
    return subscription;
  }

  /** The partitions this subscription covers, as the broker reported them. */
  get partitions(): readonly number[] {
    return this.#brokerSubscriptions.flatMap((entry) => entry.partitions).sort((a, b) => a - b);
  }

  /**
   * Why the subscription ended, once it ended for a reason other than the caller closing it;
   * `undefined` while it runs and after the caller closed it.
   */
  get endReason(): SubscriptionEndReason | undefined {
    return this.#endReason;
  }

  /**
   * The next delivery, waiting for one to arrive.
   *
   * @returns the delivery, or `undefined` once the caller has closed the subscription
   * @throws SubscriptionEndedError when the subscription ended for any other reason
   */
  async receive(options: OperationOptions = {}): Promise<Delivery | undefined> {
    const result = await this.#queue.next(checkSignal("signal", options.signal));
    this.afterTake();
    return result.done === true ? undefined : result.value;
  }

  /**
   * Iterates over deliveries. Leaving the loop early (`break`, `return`, a throw) does not close
   * the subscription: iterating again continues with the next delivery. Close it with
   * `close()` or `await using`.
   */
  [Symbol.asyncIterator](): AsyncIterator<Delivery, undefined> {
    return {
      next: async () => {
        const result = await this.#queue.next();
        this.afterTake();
        return result;
      },
    };
  }

  /**
   * Closes the subscription: iteration ends quietly, settlements already issued are sent, then
   * every broker subscription is unsubscribed, which returns unsettled deliveries to the queue
   * (settling them afterwards fails with `stale_delivery`). Resolves once the broker answered;
   * failures to unsubscribe are ignored, since the broker drops the subscription with the
   * session anyway.
   */
  close(options: OperationOptions = {}): Promise<void> {
    const signal = checkSignal("signal", options.signal);
    if (this.#closing === undefined) {
      if (this.#state === "ended") return Promise.resolve();
      this.#state = "closed";
      this.#queue.finish();
      this.#core.subscriptions.delete(this);
      this.releaseReading();
      const unsubscribed = this.unsubscribeAll();
      this.#closing = Promise.allSettled(unsubscribed).then(() => undefined);
    }
    return raceAbort(this.#closing, signal);
  }

  /** Closes the subscription, for `await using`. */
  [asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Called by the client when it closes. */
  endForClientClose(): Promise<void> {
    if (this.#state === "closed" || this.#state === "ended") return Promise.resolve();
    const unsubscribed = this.unsubscribeAll();
    this.end("client_closed", `the subscription to ${this.describeQueue()} ended because the client was closed`, undefined);
    return Promise.allSettled(unsubscribed).then(() => undefined);
  }

  // Runs on the read loop when a SubscribeOk arrives, before any Deliver that follows it.
  private attach(reply: SubscribeOk): void {
    if (this.#state !== "opening" && this.#state !== "active") {
      // The subscription was given up while the broker was accepting it: release it at once.
      this.#connection.request({ op: "Unsubscribe", subscriptionId: reply.subscriptionId }).catch(() => undefined);
      return;
    }
    const entry: BrokerSubscription = { id: reply.subscriptionId, partitions: Object.freeze([...reply.partitions]), active: true };
    this.#brokerSubscriptions.push(entry);
    this.#connection.addSink(reply.subscriptionId, this.sinkFor(entry));
  }

  private sinkFor(entry: BrokerSubscription): SubscriptionSink {
    return {
      deliver: (messages) => this.deliver(messages),
      closedByBroker: (reason, message) => {
        entry.active = false;
        this.endByBroker(reason, message);
      },
      connectionEnded: (cause, byClient) => {
        entry.active = false;
        if (byClient) this.end("client_closed", `the subscription to ${this.describeQueue()} ended because the client was closed`, cause);
        else this.end("connection_lost", `the subscription to ${this.describeQueue()} ended because the connection was lost; subscribe again (the client reconnects)`, cause);
      },
    };
  }

  private deliver(messages: readonly DeliveredMessage[]): void {
    if (this.#state !== "opening" && this.#state !== "active") return;
    for (const message of messages) this.#queue.push(new Delivery(message, this.#source));
    // Manual ack is bounded by prefetch at the broker; auto ack is bounded only by how fast
    // the socket is read, so reading pauses while this consumer is far behind.
    if (this.ackMode === "auto" && !this.#readingPaused && this.#queue.size >= this.#highWater) {
      this.#readingPaused = true;
      this.#connection.pauseReading(this);
    }
  }

  private afterTake(): void {
    if (this.#readingPaused && this.#queue.size <= this.#highWater / 2) this.releaseReading();
  }

  private releaseReading(): void {
    if (!this.#readingPaused) return;
    this.#readingPaused = false;
    this.#connection.resumeReading(this);
  }

  private endByBroker(reason: CloseReason, message: string): void {
    const said = message.length === 0 ? "" : `: ${message}`;
    this.end(reason, `the broker ended the subscription to ${this.describeQueue()} (${reason})${said}`, undefined);
  }

  // Ends the subscription for a reason other than the caller closing it. The other broker
  // subscriptions of a fan-in are released, so one ended partition never leaves the rest
  // running unseen.
  private end(reason: SubscriptionEndReason, message: string, cause: SinewError | undefined): void {
    if (this.#state === "closed" || this.#state === "ended") return;
    this.#state = "ended";
    this.#endReason = reason;
    this.#core.subscriptions.delete(this);
    this.unsubscribeAll();
    this.releaseReading();
    const error = new SubscriptionEndedError(reason, message, cause === undefined ? {} : { cause });
    this.#queue.fail(error, this.ackMode === "auto" && reason !== "client_closed");
  }

  // Sends an Unsubscribe for every broker subscription still active, after the settlements
  // already issued, so an ack issued before closing is not overtaken by the unsubscription.
  private unsubscribeAll(): Promise<unknown>[] {
    const active = this.#brokerSubscriptions.filter((entry) => entry.active);
    if (active.length === 0) return [];
    if (this.#connection.isOpen) this.#connection.settlements.flush();
    return active.map((entry) => {
      entry.active = false;
      this.#connection.removeSink(entry.id);
      if (!this.#connection.isOpen) return Promise.resolve();
      return this.#connection
        .request({ op: "Unsubscribe", subscriptionId: entry.id }, { context: { operation: "unsubscribe", topic: this.topic, group: this.group } })
        .catch(() => undefined);
    });
  }

  private abandon(): void {
    if (this.#state === "opening" || this.#state === "active") {
      this.#state = "closed";
      this.#queue.finish();
      this.#core.subscriptions.delete(this);
      this.releaseReading();
    }
    this.unsubscribeAll();
  }

  private describeQueue(): string {
    return this.group === undefined ? this.topic : `${this.topic} (group ${this.group})`;
  }
}
