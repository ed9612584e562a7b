// The settings a queue is declared with, and the effective settings the broker reports.

import type { OperationOptions } from "../operation-options.js";
import type { DeadLetterPolicy } from "./dead-letter-policy.js";

/**
 * Settings for `declareQueue`. An absent setting means "the broker's default"; declaring an
 * existing queue with settings that resolve to different values fails with a `conflict`
 * `BrokerError`.
 */
export interface QueueOptions extends OperationOptions {
  /**
   * The queue's group, a namespace: `orders` in group `eu` and in group `us` are unrelated
   * queues. `""` and `"default"` mean no group.
   * @default no group
   */
  readonly group?: string | undefined;
  /**
   * The partition count, fixed when the queue is created.
   * @default the broker's default (1)
   */
  readonly partitions?: number | undefined;
  /**
   * Where dead messages go.
   * @default the broker's policy
   */
  readonly deadLetter?: DeadLetterPolicy | undefined;
  /**
   * Failures a message may have before it is dead-lettered: the failure that takes its count
   * past this dead-letters it (`retries_exhausted`), so a message whose every delivery fails is
   * delivered at most `maxRetries + 1` times. Deliveries that end without a failure (a
   * prefetched message the application never received, a broker restart) spend nothing; see
   * `Delivery.failures`.
   * @default the broker's default
   */
  readonly maxRetries?: number | undefined;
  /**
   * How long a message published without its own TTL lives, in milliseconds (1 ms to 3650 days).
   * @default messages never expire
   */
  readonly defaultTtlMs?: number | undefined;
  /**
   * How long a delivery is held before it returns to the queue unless settled or extended, in
   * milliseconds (100 ms to 12 hours).
   * @default the broker's default
   */
  readonly leaseMs?: number | undefined;
}

/** A queue's effective settings, as the broker reported them. */
export interface QueueInfo {
  /** The topic. */
  readonly topic: string;
  /** The group, or `undefined` for none. */
  readonly group: string | undefined;
  /** Whether this declaration created the queue. */
  readonly created: boolean;
  /** The partition count. */
  readonly partitions: number;
  /** Where dead messages go. */
  readonly deadLetter: DeadLetterPolicy;
  /** Failures a message may have before it is dead-lettered. */
  readonly maxRetries: number;
  /** The default TTL in milliseconds, or `undefined` when messages never expire by default. */
  readonly defaultTtlMs: number | undefined;
  /** The lease length in milliseconds. */
  readonly leaseMs: number;
}
