// The options of publishers: the queue's group and per-publisher defaults, plus the producer
// identity and retry bounds of a reliable publisher.

/** Options of `createPublisher`. */
export interface PublisherOptions {
  /**
   * The queue's group; `""` and `"default"` mean no group.
   * @default no group
   */
  readonly group?: string | undefined;
  /**
   * A delivery delay in milliseconds (0 to 3650 days) for every message that sets neither
   * `delayMs` nor `notBefore`.
   * @default no delay
   */
  readonly delayMs?: number | undefined;
  /**
   * A TTL in milliseconds (1 ms to 3650 days) for every message that sets none.
   * @default the queue's default TTL
   */
  readonly ttlMs?: number | undefined;
}

/** Options of `createReliablePublisher`. */
export interface ReliablePublisherOptions extends PublisherOptions {
  /**
   * The producer id stamped on every message, 1–64 bytes under the name rules. Reuse an id
   * across runs only together with `firstSequence`, continuing after the last sequence used:
   * the broker drops a message whose producer id and sequence it has already stored.
   * @default a random UUID
   */
  readonly producerId?: string | undefined;
  /**
   * The sequence number of the first message; each message takes the next one.
   * @default 1n
   */
  readonly firstSequence?: bigint | undefined;
  /**
   * Attempts per message, the first included, before a retryable failure is thrown.
   * @default 10
   */
  readonly maxAttempts?: number | undefined;
  /**
   * The wait before the first retry in milliseconds; it doubles for each later retry.
   * @default 100
   */
  readonly initialRetryDelayMs?: number | undefined;
  /**
   * The longest wait between two attempts, in milliseconds.
   * @default 5000
   */
  readonly maxRetryDelayMs?: number | undefined;
}
