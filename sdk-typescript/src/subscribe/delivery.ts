// A message delivered to a subscription: its payload with decoding methods, its metadata, and
// the ways to settle it, each answered by the broker once durable.

import { decode as decodeMsgpack } from "@msgpack/msgpack";
import { checkBoundedText, checkDurationMs, checkSignal } from "../argument-checks.js";
import { throwIfAborted } from "../async/abort.js";
import { reportIfUnobserved } from "../async/unobserved-failure.js";
import type { ClientCore } from "../client/client-core.js";
import type { Connection } from "../connection/connection.js";
import type { SettleOperation } from "../connection/settlement-batcher.js";
import { InvalidArgumentError } from "../errors/invalid-argument-error.js";
import type { OperationOptions } from "../operation-options.js";
import type { AckMode } from "../wire/generated/enums.js";
import { ProtocolLimits } from "../wire/generated/limits.js";
import type { DeliveredMessage } from "../wire/generated/messages.js";
import type { HandedOutDeliveries } from "./handed-out-deliveries.js";

const EMPTY_HEADERS: ReadonlyMap<string, string> = new Map();
const textDecoder = new TextDecoder();

/** Where a delivery came from and how it is settled. @internal */
export interface DeliverySource {
  readonly core: ClientCore;
  readonly connection: Connection;
  readonly topic: string;
  readonly group: string | undefined;
  readonly ackMode: AckMode;
  /** Where a manual-ack delivery is forgotten once the broker settled it; none for auto ack. */
  readonly handedOut: HandedOutDeliveries | undefined;
}

/**
 * One message delivered to a subscription. With manual acknowledgement, settle it exactly once
 * with {@link Delivery.ack}, {@link Delivery.fail}, {@link Delivery.retry} or
 * {@link Delivery.retryAfter}, before its lease runs out (see {@link Delivery.extendLease}).
 * Settling acts at the call: the delivery counts as settled at once, the frame is sent whether
 * or not the returned promise is awaited, and a misuse throws at the call. Settlements issued in
 * the same turn of the event loop share one frame.
 */
export class Delivery {
  /** The queue's topic. */
  readonly topic: string;
  /** The queue's group, or `undefined` for none. */
  readonly group: string | undefined;
  /** The session-unique id the broker settles this delivery by. */
  readonly deliveryId: bigint;
  /** The message's partition. */
  readonly partition: number;
  /** The message's offset in its partition. */
  readonly offset: bigint;
  /** 1 on the first delivery, one more on each redelivery, whatever ended the earlier ones. */
  readonly attempt: number;
  /**
   * How many earlier deliveries of the message ended in a failure: a retry or delayed retry, a
   * lease that ran out, a lost connection, or a consumer that left (unsubscribed or closed)
   * while the application held it. A delivery that was only prefetched, or that came back
   * because the broker ended the subscription or restarted, counts none. 0 when the broker does
   * not count failures.
   */
  readonly failures: number;
  /**
   * The queue's retry budget: the failure that takes {@link Delivery.failures} past it
   * dead-letters the message (`retries_exhausted`) instead of returning it. `undefined` when the
   * broker did not say.
   */
  readonly maxRetries: number | undefined;
  /** When the broker stored the message. */
  readonly publishedAt: Date;
  /** The message body. */
  readonly payload: Uint8Array;
  /** The content type, if the publisher set one. */
  readonly contentType: string | undefined;
  /** User headers, plus `sinew.*` metadata the broker added (for example on dead-lettered copies). */
  readonly headers: ReadonlyMap<string, string>;
  /** How the subscription acknowledges: `manual` deliveries must be settled, `auto` ones cannot be. */
  readonly ackMode: AckMode;
  readonly #source: DeliverySource;
  #settledBy: SettleOperation | undefined;

  /** @internal Deliveries come from a `Subscription`. */
  constructor(message: DeliveredMessage, source: DeliverySource) {
    this.topic = source.topic;
    this.group = source.group;
    this.deliveryId = message.deliveryId;
    this.partition = message.partition;
    this.offset = message.offset;
    this.attempt = message.attempt;
    this.failures = message.failures ?? 0;
    this.maxRetries = message.maxRetries;
    this.publishedAt = new Date(Number(message.publishedAtMs));
    this.payload = message.payload;
    this.contentType = message.contentType;
    this.headers = message.headers ?? EMPTY_HEADERS;
    this.ackMode = source.ackMode;
    this.#source = source;
  }

  /**
   * Whether the delivery has been settled: by one of the settlement methods, or, for an
   * auto-ack delivery, by the broker when it sent it (always true).
   */
  get isSettled(): boolean {
    return this.ackMode === "auto" || this.#settledBy !== undefined;
  }

  /**
   * Whether this is the message's last attempt: its failures have used up the queue's retry
   * budget, so if this delivery fails too (a retry, a lease running out, the consumer leaving
   * while holding it) the message is dead-lettered instead of delivered again. False when the
   * broker did not say the budget.
   */
  get isLastAttempt(): boolean {
    return this.maxRetries !== undefined && this.failures >= this.maxRetries;
  }

  /** The payload decoded as UTF-8 (malformed sequences become U+FFFD). */
  text(): string {
    return textDecoder.decode(this.payload);
  }

  /**
   * The payload parsed as JSON.
   *
   * @throws SyntaxError when the payload is not JSON
   */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  /**
   * The payload decoded as MessagePack. 64-bit integers become numbers, losing precision
   * beyond 2^53.
   *
   * @throws RangeError or another decoding error when the payload is not MessagePack
   */
  msgpack<T = unknown>(): T {
    return decodeMsgpack(this.payload) as T;
  }

  /**
   * Settles the message as done; the broker removes it.
   *
   * Like every settlement it acts at the call: the delivery counts as settled at once and the
   * frame leaves at the end of this turn whether or not the promise is awaited. The promise
   * resolves once the broker made it durable and rejects with a `BrokerError` (for example
   * `stale_delivery`) when it could not; a failure nobody awaits is logged to the client's
   * `logger` instead of being reported as an unhandled rejection.
   *
   * @throws InvalidArgumentError at the call for an auto-ack delivery or one already settled
   * @throws ClientClosedError or ConnectionLostError at the call when the client is closed or
   *   the delivery's connection is gone (the delivery stays unsettled)
   */
  ack(options: OperationOptions = {}): Promise<void> {
    const signal = checkSignal("signal", options.signal);
    const connection = this.claim("ack", signal);
    return this.watch("ack", connection.settlements.ack(this.deliveryId, signal, this.#source.handedOut));
  }

  /**
   * Fails the message for good: the broker dead-letters it now under the queue's policy (with
   * `sinew.dlq.reason` `terminal_nack`), keeping `reason` as the `sinew.dlq.error` header. Use
   * {@link Delivery.retry} to have it delivered again instead. Acts at the call, like
   * {@link Delivery.ack}.
   *
   * @param reason - why it failed, at most 1024 bytes of UTF-8
   */
  fail(reason?: string, options: OperationOptions = {}): Promise<void> {
    const signal = checkSignal("signal", options.signal);
    checkReason(reason);
    const connection = this.claim("fail", signal);
    return this.watch("fail", connection.settlements.nack({ deliveryId: this.deliveryId, requeue: false, ...withReason(reason) }, "fail", signal, this.#source.handedOut));
  }

  /**
   * Returns the message to the queue for another delivery now. This counts a failure: on the
   * last attempt ({@link Delivery.isLastAttempt}) the message is dead-lettered instead
   * (`retries_exhausted`), and the copy's `sinew.dlq.error` header holds the last `reason` given
   * to a retry. Acts at the call, like {@link Delivery.ack}.
   *
   * @param reason - why this attempt failed, at most 1024 bytes of UTF-8
   */
  retry(reason?: string, options: OperationOptions = {}): Promise<void> {
    const signal = checkSignal("signal", options.signal);
    checkReason(reason);
    const connection = this.claim("retry", signal);
    return this.watch("retry", connection.settlements.nack({ deliveryId: this.deliveryId, requeue: true, ...withReason(reason) }, "retry", signal, this.#source.handedOut));
  }

  /**
   * Returns the message to the queue, not to be delivered again before `delayMs` milliseconds
   * (0 to 3650 days) have passed. This counts a failure: on the last attempt the message is
   * dead-lettered instead, keeping `reason` as with {@link Delivery.retry}. Acts at the call,
   * like {@link Delivery.ack}.
   *
   * @param reason - why this attempt failed, at most 1024 bytes of UTF-8
   */
  retryAfter(delayMs: number, reason?: string, options: OperationOptions = {}): Promise<void> {
    const signal = checkSignal("signal", options.signal);
    checkDurationMs("delayMs", delayMs, "NackItem.delay_ms");
    checkReason(reason);
    const connection = this.claim("retryAfter", signal);
    return this.watch(
      "retryAfter",
      connection.settlements.nack({ deliveryId: this.deliveryId, requeue: true, delayMs: BigInt(delayMs), ...withReason(reason) }, "retryAfter", signal, this.#source.handedOut),
    );
  }

  /**
   * Keeps the message leased while it is still being worked on: the lease restarts now and
   * lasts `byMs` milliseconds (1 ms to 12 hours), or the queue's lease length when omitted. It does not settle the
   * delivery, and may be called any number of times before it is settled. Sent at the call,
   * like the settlements.
   */
  extendLease(byMs?: number, options: OperationOptions = {}): Promise<void> {
    const signal = checkSignal("signal", options.signal);
    if (byMs !== undefined) checkDurationMs("byMs", byMs, "LeaseExtension.extend_ms");
    const connection = this.usable("extendLease", signal);
    return this.watch("extendLease", connection.settlements.extendLease({ deliveryId: this.deliveryId, ...(byMs === undefined ? {} : { extendMs: BigInt(byMs) }) }, signal));
  }

  // The settlement was requested at the call whether or not anyone awaits its answer, so a
  // failure nobody awaits must neither be an unhandled rejection (which would end a Node
  // process) nor vanish: it is logged. A caller who awaits the promise sees it instead.
  private watch(operation: SettleOperation | "extendLease", settled: Promise<void>): Promise<void> {
    const logger = this.#source.core.options.logger;
    return reportIfUnobserved(settled, (error) =>
      logger.warn(`sinew: ${operation}() of delivery ${this.deliveryId} from ${this.topic} failed and nothing awaited it`, error),
    );
  }

  // Marks the delivery settled by `operation`, so a second settlement is refused even while
  // the first is still in flight.
  private claim(operation: SettleOperation, signal: AbortSignal | undefined): Connection {
    const connection = this.usable(operation, signal);
    this.#settledBy = operation;
    return connection;
  }

  private usable(operation: SettleOperation, signal: AbortSignal | undefined): Connection {
    if (this.ackMode === "auto") {
      throw new InvalidArgumentError(
        "ackMode",
        `delivery ${this.deliveryId} came from an auto-ack subscription, which the broker settles itself; ${operation}() is only for manual-ack deliveries`,
        { reason: "auto_ack" },
      );
    }
    if (this.#settledBy !== undefined) {
      throw new InvalidArgumentError("delivery", `delivery ${this.deliveryId} was already settled with ${this.#settledBy}(); a delivery settles once`, {
        reason: "already_settled",
      });
    }
    this.#source.core.assertOpen();
    // A delivery settles on the connection it came from; once that is gone, the broker
    // redelivers the message and this one can never be settled.
    this.#source.connection.assertUsable();
    // An abort before anything is sent leaves the delivery unsettled, free to settle again.
    throwIfAborted(signal);
    return this.#source.connection;
  }
}

// The reason a fail or retry may carry, checked before anything is claimed or sent.
function checkReason(reason: string | undefined): void {
  if (reason !== undefined) checkBoundedText("reason", reason, ProtocolLimits.maxReasonBytes, { allowEmpty: true });
}

function withReason(reason: string | undefined): { reason?: string } {
  return reason === undefined ? {} : { reason };
}
