// The receiving end of one broker subscription, registered on the connection that carries it.

import type { SinewError } from "../errors/sinew-error.js";
import type { CloseReason } from "../wire/generated/enums.js";
import type { DeliveredMessage } from "../wire/generated/messages.js";

/** Where a broker subscription's pushed frames go. */
export interface SubscriptionSink {
  /** Messages pushed in one `Deliver` frame. */
  deliver(messages: readonly DeliveredMessage[]): void;
  /** The broker ended the subscription. */
  closedByBroker(reason: CloseReason, message: string): void;
  /** The connection ended; `byClient` when the client was closed. */
  connectionEnded(cause: SinewError, byClient: boolean): void;
}
