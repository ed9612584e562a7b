// Why a subscription ended, other than the caller closing it: the broker's close reasons plus
// the two the client itself can cause.

import type { CloseReason } from "../wire/generated/enums.js";

/**
 * Why a subscription ended when the caller did not close it:
 * - `server_shutdown`: the broker is shutting down;
 * - `deleted`: the queue was deleted;
 * - `quarantined`: a partition was quarantined;
 * - `reconcile_closed`: reconciliation after a resume could not keep it;
 * - `cursor_taken_over`: another subscription took its durable cursor;
 * - `internal`: an unexpected broker failure;
 * - `connection_lost`: the connection dropped (the next operation reconnects; subscribe again);
 * - `client_closed`: the client was closed.
 */
export type SubscriptionEndReason = CloseReason | "connection_lost" | "client_closed";

/** Every end reason, in the order of the protocol's close reasons, then the client's own. */
export const SUBSCRIPTION_END_REASONS: readonly SubscriptionEndReason[] = Object.freeze([
  "server_shutdown",
  "deleted",
  "quarantined",
  "reconcile_closed",
  "cursor_taken_over",
  "internal",
  "connection_lost",
  "client_closed",
] as const);

// Subscribing again can succeed later only when the cause was transient: the broker restarting,
// a lost resume, or a dropped connection.
const RETRYABLE: ReadonlySet<SubscriptionEndReason> = new Set<SubscriptionEndReason>([
  "server_shutdown",
  "reconcile_closed",
  "connection_lost",
]);

/** Whether subscribing again may succeed after a subscription ended for this reason. */
export function isRetryableEndReason(reason: SubscriptionEndReason): boolean {
  return RETRYABLE.has(reason);
}
