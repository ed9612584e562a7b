// The machinery of a subscription: one broker subscription per partition (or one for a single
// partition), their deliveries merged into one queue, flow control on that queue, and how the
// whole ends. The public `Subscription` is a thin handle over it.

import { raceAbort } from "../async/abort.js";
import type { ClientCore, ClosableSubscription } from "../client/client-core.js";
import type { Connection } from "../connection/connection.js";
import { maxListItemsOf } from "../connection/session-info.js";
import type { SubscriptionSink } from "../connection/subscription-sink.js";
import type { SinewError } from "../errors/sinew-error.js";
import { SubscriptionEndedError } from "../errors/subscription-ended-error.js";
import { FanIn } from "../routing/fan-in.js";
import type { AckMode, CloseReason } from "../wire/generated/enums.js";
import type { DeliveredMessage, SubscribeOk } from "../wire/generated/messages.js";
import { Delivery, type DeliverySource } from "./delivery.js";
import { HandedOutDeliveries } from "./handed-out-deliveries.js";
import type { SubscriptionEndReason } from "./subscription-end-reason.js";

/** What a subscription is opened with. */
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
 * The broker subscriptions behind one subscription, merged. Iteration ends quietly once the
 * caller closed it, and with a `SubscriptionEndedError` carrying the reason in every other
 * case. Deliveries not yet handed out when a manual-ack subscription ends are dropped (the
 * broker returns them to the queue); an auto-ack subscription first hands out the deliveries
 * it already received.
 */
export class SubscriptionFeed implements ClosableSubscription {
  readonly topic: string;
  readonly group: string | undefined;
  readonly ackMode: AckMode;
  readonly prefetch: number;
  /** Resolves when the subscription ends, however it ends; it never rejects. */
  readonly completion: Promise<void>;

  private state: State = "opening";
  private reason: SubscriptionEndReason | undefined;
  private closing: Promise<void> | undefined;
  private readingPaused = false;
  private readonly markEnded: () => void;
  // Fixed when subscribing, so the threshold does not move while the partition subscriptions
  // are still being accepted.
  private readonly highWater: number;
  private readonly brokerSubscriptions: BrokerSubscription[] = [];
  // Manual ack only: what the application holds, listed when leaving so that only those count
  // a failure. Auto-ack deliveries are settled when sent, so there is nothing to list.
  private readonly handedOut: HandedOutDeliveries | undefined;
  private readonly queue: FanIn<Delivery>;
  private readonly source: DeliverySource;

  private constructor(
    private readonly core: ClientCore,
    private readonly connection: Connection,
    parameters: SubscriptionParameters,
  ) {
    this.topic = parameters.topic;
    this.group = parameters.group;
    this.ackMode = parameters.ackMode;
    this.prefetch = parameters.prefetch;
    this.highWater = parameters.prefetch * Math.max(1, parameters.partitions.length);
    const handedOut = this.ackMode === "manual" ? new HandedOutDeliveries() : undefined;
    this.handedOut = handedOut;
    this.queue = new FanIn<Delivery>(handedOut === undefined ? undefined : (delivery) => handedOut.add(delivery.deliveryId, delivery.partition));
    this.source = Object.freeze({ core, connection, topic: this.topic, group: this.group, ackMode: this.ackMode, handedOut });
    let markEnded = (): void => undefined;
    this.completion = new Promise<void>((resolve) => {
      markEnded = resolve;
    });
    this.markEnded = markEnded;
  }

  /**
   * Sends the Subscribe frames (pipelined) and resolves once the broker accepted them all. If
   * any is refused, the others are unsubscribed and the refusal is thrown.
   */
  static async open(core: ClientCore, connection: Connection, parameters: SubscriptionParameters, signal?: AbortSignal): Promise<SubscriptionFeed> {
    const subscription = new SubscriptionFeed(core, connection, parameters);
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
    if (subscription.state === "opening") subscription.state = "active";
    return subscription;
  }

  /** The partitions this subscription covers, as the broker reported them. */
  get partitions(): readonly number[] {
    return this.brokerSubscriptions.flatMap((entry) => entry.partitions).sort((x, y) => x - y);
  }

  /** Why the subscription ended, unless the caller closed it; `undefined` while it runs. */
  get endReason(): SubscriptionEndReason | undefined {
    return this.reason;
  }

  /** Whether deliveries may still arrive: neither closed nor ended. */
  get isActive(): boolean {
    return this.state === "opening" || this.state === "active";
  }

  /** Deliveries received and not yet handed out. */
  get buffered(): number {
    return this.queue.size;
  }

  /** The next delivery, or the end: done once the caller closed the subscription. */
  async take(signal?: AbortSignal): Promise<IteratorResult<Delivery, undefined>> {
    const result = await this.queue.next(signal);
    this.afterTake();
    return result;
  }

  /**
   * Closes the subscription: iteration ends quietly, settlements already issued are sent, then
   * every broker subscription is unsubscribed. Resolves once the broker answered; failures to
   * unsubscribe are ignored, since the broker drops the subscription with the session anyway.
   */
  close(signal?: AbortSignal): Promise<void> {
    if (this.closing === undefined) {
      if (this.state === "ended") return Promise.resolve();
      this.state = "closed";
      this.queue.finish();
      this.core.subscriptions.delete(this);
      this.releaseReading();
      this.markEnded();
      const unsubscribed = this.unsubscribeAll();
      this.closing = Promise.allSettled(unsubscribed).then(() => undefined);
    }
    return raceAbort(this.closing, signal);
  }

  /**
   * The manual-ack deliveries handed to the application and not settled, on `connection`, at
   * most `maxItems` of them; for the `Goodbye` of that connection.
   */
  handedOutOn(connection: Connection, maxItems: number): bigint[] {
    if (connection !== this.connection || this.handedOut === undefined) return [];
    return this.handedOut.list(maxItems);
  }

  /** Ends the subscription because the client is closing. */
  endForClientClose(): Promise<void> {
    if (this.state === "closed" || this.state === "ended") return Promise.resolve();
    const unsubscribed = this.unsubscribeAll();
    this.end("client_closed", `the subscription to ${this.describeQueue()} ended because the client was closed`, undefined);
    return Promise.allSettled(unsubscribed).then(() => undefined);
  }

  // Runs on the read loop when a SubscribeOk arrives, before any Deliver that follows it.
  private attach(reply: SubscribeOk): void {
    if (this.state !== "opening" && this.state !== "active") {
      // The subscription was given up while the broker was accepting it: release it at once.
      // Nothing of it was handed out, so nothing it holds counts a failure.
      this.connection.request({ op: "Unsubscribe", subscriptionId: reply.subscriptionId, handedOut: [] }).catch(() => undefined);
      return;
    }
    const entry: BrokerSubscription = { id: reply.subscriptionId, partitions: Object.freeze([...reply.partitions]), active: true };
    this.brokerSubscriptions.push(entry);
    this.connection.addSink(reply.subscriptionId, this.sinkFor(entry));
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
    if (this.state !== "opening" && this.state !== "active") return;
    for (const message of messages) this.queue.push(new Delivery(message, this.source));
    // Manual ack is bounded by prefetch at the broker; auto ack is bounded only by how fast
    // the socket is read, so reading pauses while this consumer is far behind.
    if (this.ackMode === "auto" && !this.readingPaused && this.queue.size >= this.highWater) {
      this.readingPaused = true;
      this.connection.pauseReading(this);
    }
  }

  private afterTake(): void {
    if (this.readingPaused && this.queue.size <= this.highWater / 2) this.releaseReading();
  }

  private releaseReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    this.connection.resumeReading(this);
  }

  private endByBroker(reason: CloseReason, message: string): void {
    const said = message.length === 0 ? "" : `: ${message}`;
    this.end(reason, `the broker ended the subscription to ${this.describeQueue()} (${reason})${said}`, undefined);
  }

  // Ends the subscription for a reason other than the caller closing it. The other broker
  // subscriptions of a fan-in are released, so one ended partition never leaves the rest
  // running unseen.
  private end(reason: SubscriptionEndReason, message: string, cause: SinewError | undefined): void {
    if (this.state === "closed" || this.state === "ended") return;
    this.state = "ended";
    this.reason = reason;
    this.core.subscriptions.delete(this);
    this.unsubscribeAll();
    this.releaseReading();
    const error = new SubscriptionEndedError(reason, message, cause === undefined ? {} : { cause });
    this.queue.fail(error, this.ackMode === "auto" && reason !== "client_closed");
    this.markEnded();
  }

  // Sends an Unsubscribe for every broker subscription still active, after the settlements
  // already issued, so an ack issued before closing is not overtaken by the unsubscription. Each
  // lists the deliveries of its partitions the application holds (an empty list when none: an
  // absent one would count a failure for every returned delivery). Once this returns, the broker
  // has been told, or the session is gone, or the broker ended the subscription itself: either way
  // nothing held is the application's any more.
  private unsubscribeAll(): Promise<unknown>[] {
    const active = this.brokerSubscriptions.filter((entry) => entry.active);
    const open = this.connection.isOpen;
    if (active.length > 0 && open) this.connection.settlements.flush();
    const maxItems = open ? maxListItemsOf(this.connection.info.limits) : 0;
    const unsubscribed = active.map((entry) => {
      entry.active = false;
      this.connection.removeSink(entry.id);
      if (!open) return Promise.resolve();
      const handedOut = this.handedOut?.takeFrom(entry.partitions, maxItems) ?? [];
      return this.connection
        .request({ op: "Unsubscribe", subscriptionId: entry.id, handedOut }, { context: { operation: "unsubscribe", topic: this.topic, group: this.group } })
        .catch(() => undefined);
    });
    this.handedOut?.clear();
    return unsubscribed;
  }

  private abandon(): void {
    if (this.state === "opening" || this.state === "active") {
      this.state = "closed";
      this.queue.finish();
      this.core.subscriptions.delete(this);
      this.releaseReading();
      this.markEnded();
    }
    this.unsubscribeAll();
  }

  private describeQueue(): string {
    return this.group === undefined ? this.topic : `${this.topic} (group ${this.group})`;
  }
}
