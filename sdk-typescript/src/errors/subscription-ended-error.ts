// The error a subscription's iterator throws when the subscription ended for any reason other
// than the caller closing it.

import { isRetryableEndReason, type SubscriptionEndReason } from "../subscribe/subscription-end-reason.js";
import { SinewError, type SinewErrorOptions } from "./sinew-error.js";

/**
 * The subscription ended for a reason other than the caller closing it. Iteration never stops
 * silently: this error says why, in {@link SubscriptionEndedError.reason} (also its `code`).
 */
export class SubscriptionEndedError extends SinewError {
  override readonly name = "SubscriptionEndedError";
  readonly code: SubscriptionEndReason;
  readonly isRetryable: boolean;
  /** Why the subscription ended. */
  readonly reason: SubscriptionEndReason;

  /**
   * @param reason - why the subscription ended
   * @param message - what happened, including the broker's explanation when it gave one
   * @param options - the underlying cause, if any
   */
  constructor(reason: SubscriptionEndReason, message: string, options: SinewErrorOptions = {}) {
    super(message, options);
    this.reason = reason;
    this.code = reason;
    this.isRetryable = isRetryableEndReason(reason);
  }
}
