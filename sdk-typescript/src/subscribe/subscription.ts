// A subscription as the application sees it: a thin handle over the subscription feed (the
// broker subscriptions merged into one queue), handing out deliveries one at a time or as an
// async iterable. It ends quietly when the caller closes it and with a SubscriptionEndedError
// carrying the reason in every other case.

import { checkSignal } from "../argument-checks.js";
import { asyncDispose } from "../async/dispose.js";
import { ClientClosedError } from "../errors/client-closed-error.js";
import type { OperationOptions } from "../operation-options.js";
import type { AckMode } from "../wire/generated/enums.js";
import type { Delivery } from "./delivery.js";
import type { SubscriptionEndReason } from "./subscription-end-reason.js";
import type { SubscriptionFeed } from "./subscription-feed.js";

/**
 * Deliveries from one queue, as an async iterable: `for await (const delivery of subscription)`,
 * or one at a time with {@link Subscription.receive}. Created by `client.subscribe(topic, options)`.
 *
 * Iteration ends quietly when the caller closes the subscription; `receive()` then throws
 * `ClientClosedError`. In every other case — the broker ended it, the connection dropped, the
 * client was closed — both throw a `SubscriptionEndedError` whose `reason` says why; a
 * subscription never stops silently. Deliveries not yet handed out when a manual-ack
 * subscription ends are dropped (the broker returns them to the queue); an auto-ack
 * subscription first hands out the deliveries it already received.
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
  readonly #feed: SubscriptionFeed;

  /** @internal Use `SinewClient.subscribe`. */
  constructor(feed: SubscriptionFeed) {
    this.#feed = feed;
    this.topic = feed.topic;
    this.group = feed.group;
    this.ackMode = feed.ackMode;
    this.prefetch = feed.prefetch;
  }

  /** The partitions this subscription covers, as the broker reported them. */
  get partitions(): readonly number[] {
    return this.#feed.partitions;
  }

  /** Whether deliveries may still arrive: false once the subscription is closed or ended. */
  get isActive(): boolean {
    return this.#feed.isActive;
  }

  /**
   * Why the subscription ended, once it ended for a reason other than the caller closing it;
   * `undefined` while it runs and after the caller closed it.
   */
  get endReason(): SubscriptionEndReason | undefined {
    return this.#feed.endReason;
  }

  /** Deliveries received and not yet handed out. */
  get buffered(): number {
    return this.#feed.buffered;
  }

  /**
   * Resolves when the subscription has ended, however it ended: closed by the caller, by the
   * broker, by the connection dropping or by the client closing. It never rejects;
   * {@link Subscription.endReason} says why it ended.
   */
  get completion(): Promise<void> {
    return this.#feed.completion;
  }

  /**
   * The next delivery, waiting for one to arrive.
   *
   * @throws SubscriptionEndedError when the subscription ended other than by the caller closing
   *   it (an auto-ack subscription first hands out the deliveries it had received)
   * @throws ClientClosedError once the caller has closed the subscription
   */
  async receive(options: OperationOptions = {}): Promise<Delivery> {
    const result = await this.#feed.take(checkSignal("signal", options.signal));
    if (result.done === true) throw new ClientClosedError(`the subscription to ${this.topic} was closed`);
    return result.value;
  }

  /**
   * Iterates over deliveries. Leaving the loop early (`break`, `return`, a throw) does not close
   * the subscription: iterating again continues with the next delivery. Close it with
   * `close()` or `await using`.
   */
  [Symbol.asyncIterator](): AsyncIterator<Delivery, undefined> {
    return { next: () => this.#feed.take() };
  }

  /**
   * Closes the subscription: iteration ends quietly, settlements already issued are sent, then
   * every broker subscription is unsubscribed, which returns unsettled deliveries to the queue
   * (settling them afterwards fails with `stale_delivery`). Those the application received count
   * a failure (see `Delivery.failures`); those still buffered do not. Resolves once the broker answered;
   * failures to unsubscribe are ignored, since the broker drops the subscription with the
   * session anyway.
   */
  close(options: OperationOptions = {}): Promise<void> {
    return this.#feed.close(checkSignal("signal", options.signal));
  }

  /** Closes the subscription, for `await using`. */
  [asyncDispose](): Promise<void> {
    return this.close();
  }
}
