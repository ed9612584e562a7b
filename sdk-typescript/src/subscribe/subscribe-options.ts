// The options of a subscription, with their documented defaults.

import type { OperationOptions } from "../operation-options.js";
import type { AckMode } from "../wire/generated/enums.js";

/** Options of `subscribe`. */
export interface SubscribeOptions extends OperationOptions {
  /**
   * The queue's group; `""` and `"default"` mean no group.
   * @default no group
   */
  readonly group?: string | undefined;
  /**
   * The most unsettled deliveries held at once per partition (from 1 to the broker's
   * `maxPrefetch`). The broker sends more only as earlier ones are settled.
   * @default 100
   */
  readonly prefetch?: number | undefined;
  /**
   * `manual`: each delivery must be settled. `auto`: the broker settles each message as it
   * sends it (at most once; a message in flight when the consumer fails is lost). While an
   * auto-ack consumer is far behind, the client stops reading from the connection, except to
   * reach the reply of a request made meanwhile on the same client, which buffers the
   * deliveries sent ahead of that reply; use `manual`, or a client of its own for the
   * consumer, to keep memory bounded then.
   * @default "manual"
   */
  readonly ackMode?: AckMode | undefined;
  /**
   * Consume only this partition.
   * @default every partition, merged into one stream
   */
  readonly partition?: number | undefined;
}

/** The defaults of {@link SubscribeOptions}. */
export const SUBSCRIBE_DEFAULTS = Object.freeze({
  prefetch: 100,
  ackMode: "manual" as AckMode,
});
