// The range of every duration a client sends, and the heartbeat a client runs with (protocol
// sections 4.4, 7.4 and 7.5). Every bound is exact in a JavaScript number.

import { ProtocolLimits } from "./wire/generated/limits.js";

/** A duration field a client sends, named as in the protocol registry. */
export type DurationField =
  | "PublishMessage.ttl_ms"
  | "PublishMessage.delay_ms"
  | "PublishMessage.not_before_ms"
  | "DeclareQueue.default_ttl_ms"
  | "DeclareQueue.lease_ms"
  | "NackItem.delay_ms"
  | "NackItem.not_before_ms"
  | "LeaseExtension.extend_ms"
  | "Retention.max_age_ms";

/** The range of a duration field. */
export interface DurationRange {
  /** The smallest value (for a time, 0: a time in the past means at once). */
  readonly min: number;
  /** The largest value; for a time, how far after the checker's clock it may be. */
  readonly max: number;
  /** Whether the field is a unix-millisecond time rather than a duration. */
  readonly fromNow: boolean;
}

function range(min: number, max: number, fromNow = false): DurationRange {
  return Object.freeze({ min, max, fromNow });
}

/** The range of every duration field. */
export const DURATION_RANGES: Readonly<Record<DurationField, DurationRange>> = Object.freeze({
  "PublishMessage.ttl_ms": range(1, ProtocolLimits.maxTtlMs),
  "PublishMessage.delay_ms": range(0, ProtocolLimits.maxDelayMs),
  "PublishMessage.not_before_ms": range(0, ProtocolLimits.maxDelayMs, true),
  "DeclareQueue.default_ttl_ms": range(1, ProtocolLimits.maxTtlMs),
  "DeclareQueue.lease_ms": range(ProtocolLimits.minLeaseMs, ProtocolLimits.maxLeaseMs),
  "NackItem.delay_ms": range(0, ProtocolLimits.maxDelayMs),
  "NackItem.not_before_ms": range(0, ProtocolLimits.maxDelayMs, true),
  "LeaseExtension.extend_ms": range(1, ProtocolLimits.maxLeaseMs),
  "Retention.max_age_ms": range(1, ProtocolLimits.maxRetentionAgeMs),
});

/**
 * Whether a wire value is in its field's range.
 *
 * @param value - milliseconds, or unix milliseconds for a time (an integer)
 * @param nowMs - the checker's clock; only times use it
 */
export function isDurationInRange(field: DurationField, value: number | bigint, nowMs: number = Date.now()): boolean {
  const { min, max, fromNow } = DURATION_RANGES[field];
  // BigInt keeps values past 2^53 (which only a bigint can carry exactly) from rounding into range.
  const exact = BigInt(value);
  if (fromNow) return exact <= BigInt(Math.max(0, Math.trunc(nowMs))) + BigInt(max);
  return exact >= BigInt(min) && exact <= BigInt(max);
}

/** The heartbeat interval a client runs with when a broker announces `announcedMs`: at most 5 minutes. */
export function heartbeatInUse(announcedMs: bigint): number {
  return Number(announcedMs > BigInt(ProtocolLimits.maxHeartbeatMs) ? BigInt(ProtocolLimits.maxHeartbeatMs) : announcedMs);
}
