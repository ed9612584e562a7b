// Settlement coalescing: every ack, fail, retry and lease extension issued on a connection in
// the same turn of the event loop leaves in one Ack, one Nack and one ExtendLease frame, each
// with a request id, and each caller is answered from the broker's SettleOk. More settlements
// than the broker takes in one list (limits.maxListItems) leave in several frames.

import { raceAbort, throwIfAborted } from "../async/abort.js";
import { BrokerError } from "../errors/broker-error.js";
import { ErrorCode, errorCodeInfo } from "../wire/generated/errors.js";
import { ProtocolLimits } from "../wire/generated/limits.js";
import type { LeaseExtension, NackItem, SettleOk, WireMessage } from "../wire/generated/messages.js";

// Keeps a settlement frame far below any frame limit (an Ack id costs at most 9 bytes, a nack
// with a reason about 1100); the broker's list limit may cut frames shorter still.
const MAX_ITEMS_PER_FRAME = 1024;

const STALE_DELIVERY = ErrorCode.stale_delivery;

/** The operation names settlements report in errors. */
export type SettleOperation = "ack" | "fail" | "retry" | "retryAfter" | "extendLease";

/**
 * Told when the broker has settled a delivery, or answered that it no longer holds it
 * (`stale_delivery`); not told when the settlement failed otherwise or got no answer.
 */
export interface SettlementObserver {
  settled(deliveryId: bigint): void;
}

/** How the batcher sends a settlement frame and awaits its SettleOk. */
export type SettlementSender = (message: Extract<WireMessage, { op: "Ack" | "Nack" | "ExtendLease" }>) => Promise<SettleOk>;

interface Waiter {
  readonly deliveryId: bigint;
  readonly operation: SettleOperation;
  readonly observer: SettlementObserver | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Pending<T> {
  readonly item: T;
  readonly waiter: Waiter;
}

/** Collects the settlements of one connection and sends them in batches. */
export class SettlementBatcher {
  private acks: Waiter[] = [];
  private nacks: Pending<NackItem>[] = [];
  private extensions: Pending<LeaseExtension>[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  /**
   * @param send - sends one settlement frame with a request id and resolves with its SettleOk
   * @param maxListItems - the most entries the broker takes in one list; a longer batch is split,
   * because the broker refuses the whole frame otherwise
   */
  constructor(
    private readonly send: SettlementSender,
    private readonly maxListItems: () => number = () => ProtocolLimits.defaultMaxListItems,
  ) {}

  /** Acknowledges a delivery; `observer` learns when the broker answered for it. */
  ack(deliveryId: bigint, signal?: AbortSignal, observer?: SettlementObserver): Promise<void> {
    return this.enqueue(deliveryId, "ack", signal, observer, (waiter) => this.acks.push(waiter));
  }

  /** Fails, retries or delays a delivery; `observer` learns when the broker answered for it. */
  nack(item: NackItem, operation: SettleOperation, signal?: AbortSignal, observer?: SettlementObserver): Promise<void> {
    return this.enqueue(item.deliveryId, operation, signal, observer, (waiter) => this.nacks.push({ item, waiter }));
  }

  /** Extends a delivery's lease (which does not settle it). */
  extendLease(item: LeaseExtension, signal?: AbortSignal): Promise<void> {
    return this.enqueue(item.deliveryId, "extendLease", signal, undefined, (waiter) => this.extensions.push({ item, waiter }));
  }

  /** Sends every collected settlement now, instead of at the end of the turn. */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    // Lease extensions go first: a delivery extended and then settled in the same turn must
    // still be held when its extension arrives.
    const extensions = this.extensions;
    const nacks = this.nacks;
    const acks = this.acks;
    this.extensions = [];
    this.nacks = [];
    this.acks = [];
    const perFrame = Math.max(1, Math.min(MAX_ITEMS_PER_FRAME, this.maxListItems()));
    for (const chunk of chunks(extensions, perFrame)) {
      this.dispatch({ op: "ExtendLease", items: chunk.map((entry) => entry.item) }, chunk.map((entry) => entry.waiter));
    }
    for (const chunk of chunks(nacks, perFrame)) {
      this.dispatch({ op: "Nack", items: chunk.map((entry) => entry.item) }, chunk.map((entry) => entry.waiter));
    }
    for (const chunk of chunks(acks, perFrame)) {
      this.dispatch({ op: "Ack", deliveryIds: chunk.map((waiter) => waiter.deliveryId) }, chunk);
    }
  }

  private enqueue(
    deliveryId: bigint,
    operation: SettleOperation,
    signal: AbortSignal | undefined,
    observer: SettlementObserver | undefined,
    add: (waiter: Waiter) => void,
  ): Promise<void> {
    throwIfAborted(signal);
    const settled = new Promise<void>((resolve, reject) => add({ deliveryId, operation, observer, resolve, reject }));
    if (this.scheduled === undefined) {
      // Referenced on purpose: the event loop only skips its wait for I/O for referenced
      // immediates, so an unreferenced one would hold the settlements back until unrelated
      // traffic arrived. It runs once, at the end of this turn, so it keeps nothing alive.
      this.scheduled = setImmediate(() => this.flush());
    }
    return raceAbort(settled, signal);
  }

  private dispatch(message: Extract<WireMessage, { op: "Ack" | "Nack" | "ExtendLease" }>, waiters: readonly Waiter[]): void {
    let sent: Promise<SettleOk>;
    try {
      sent = this.send(message);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (reply) => {
        const failures = new Map(reply.failures.map((failure) => [failure.deliveryId, failure.code] as const));
        for (const waiter of waiters) {
          const code = failures.get(waiter.deliveryId);
          if (code === undefined || code === STALE_DELIVERY) waiter.observer?.settled(waiter.deliveryId);
          if (code === undefined) {
            waiter.resolve();
          } else {
            waiter.reject(
              new BrokerError(
                {
                  brokerCode: code,
                  retryable: errorCodeInfo(code)?.retryable ?? false,
                  brokerMessage: `delivery ${waiter.deliveryId} was not settled`,
                },
                { operation: waiter.operation },
              ),
            );
          }
        }
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }
}

function* chunks<T>(items: readonly T[], perFrame: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += perFrame) {
    yield items.slice(start, start + perFrame);
  }
}
