// Partition fan-in: the deliveries of a subscription's per-partition broker subscriptions,
// merged in arrival order into one queue that a single async iterator consumes.

import { abortReason } from "../async/abort.js";

interface Waiter<T> {
  readonly resolve: (result: IteratorResult<T, undefined>) => void;
  readonly reject: (error: unknown) => void;
}

/** An unbounded queue with one end: quiet (`finish`) or failed (`fail`). */
export class FanIn<T> {
  private readonly items: T[] = [];
  private head = 0;
  private readonly waiters: Waiter<T>[] = [];
  private ending: { readonly error: unknown } | "quiet" | undefined;

  /**
   * @param onHandOut - told of each item at the moment it is given to a consumer: taken from
   *   the queue, or passed straight to one waiting (items still queued are not handed out)
   */
  constructor(private readonly onHandOut?: (item: T) => void) {}

  /** Items waiting to be taken. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Whether the queue has ended (items may still be waiting when it failed with draining). */
  get ended(): boolean {
    return this.ending !== undefined;
  }

  /** Adds an item, handing it straight to a waiting consumer when there is one. Ignored after the end. */
  push(item: T): void {
    if (this.ending !== undefined) return;
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.items.push(item);
      return;
    }
    this.onHandOut?.(item);
    waiter.resolve({ done: false, value: item });
  }

  /** Ends quietly: waiting and later consumers see the end, and waiting items are dropped. */
  finish(): void {
    if (this.ending !== undefined) return;
    this.ending = "quiet";
    this.clear();
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
  }

  /**
   * Ends with an error. With `drain`, items already queued are still handed out first;
   * otherwise they are dropped.
   */
  fail(error: unknown, drain: boolean): void {
    if (this.ending !== undefined) return;
    this.ending = { error };
    if (!drain) this.clear();
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** The next item, or the end. */
  next(signal?: AbortSignal): Promise<IteratorResult<T, undefined>> {
    if (this.size > 0) {
      const value = this.items[this.head] as T;
      this.head++;
      if (this.head === this.items.length) this.clear();
      else if (this.head >= 1024 && this.head * 2 >= this.items.length) this.compact();
      this.onHandOut?.(value);
      return Promise.resolve({ done: false, value });
    }
    if (this.ending === "quiet") return Promise.resolve({ done: true, value: undefined });
    if (this.ending !== undefined) return Promise.reject(this.ending.error);
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return new Promise<IteratorResult<T, undefined>>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve: (result) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(abortReason(signal as AbortSignal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  // Drops taken items from the front, so a consumer that never quite catches up does not keep
  // every item it ever took reachable.
  private compact(): void {
    this.items.splice(0, this.head);
    this.head = 0;
  }

  private clear(): void {
    this.items.length = 0;
    this.head = 0;
  }
}
