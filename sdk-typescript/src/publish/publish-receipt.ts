// What a confirmed publish returns: where the message was stored; and the handle of a
// pipelined publish whose confirmation arrives later.

/** Where a confirmed message was stored, once it is durable. */
export interface PublishReceipt {
  /** The partition. */
  readonly partition: number;
  /** The message's offset in that partition. */
  readonly offset: bigint;
  /**
   * Whether the broker had already stored this message under the same producer id and
   * sequence (a `ReliablePublisher` retry); the partition and offset are then the original's.
   */
  readonly duplicate: boolean;
}

/**
 * A publish that has been sent and whose confirmation is still to come, from
 * `publishWithConfirmation`. Send many, then await their receipts, to keep several publishes
 * in flight on one connection.
 */
export interface PublishConfirmation {
  /**
   * Resolves with the receipt once the broker confirms the message is durable; rejects with
   * the publish's error. A rejection is never reported as unhandled; one that nothing awaited
   * (no handler attached by the time it failed) is logged to the client's `logger`.
   */
  readonly receipt: Promise<PublishReceipt>;
  /** Whether the broker has answered (or the publish failed): `receipt` has settled. */
  readonly isCompleted: boolean;
}
