// The error codes an `Error` frame carries, with whether each is retryable and closes the
// connection.

/** The name of an error code defined by protocol v1. */
export type ErrorCodeName =
  | "bad_frame"
  | "protocol_mismatch"
  | "protocol_violation"
  | "frame_too_large"
  | "unknown_op"
  | "unauthorized"
  | "invalid"
  | "not_found"
  | "conflict"
  | "stale_delivery"
  | "redirect"
  | "resource_exhausted"
  | "unavailable"
  | "quarantined"
  | "timeout"
  | "internal";

/** One error code of the protocol. */
export interface ErrorCodeInfo {
  /** The stable name clients expose, e.g. `"not_found"`. */
  readonly name: ErrorCodeName;
  /** The number carried in `Error.code`. */
  readonly code: number;
  /**
   * The `retryable` value brokers send with this code. The flag in a received frame is
   * authoritative, not this table.
   */
  readonly retryable: boolean;
  /** Whether the broker closes the connection after sending this error. */
  readonly closesConnection: boolean;
}

function info(name: ErrorCodeName, code: number, retryable: boolean, closesConnection: boolean): ErrorCodeInfo {
  return Object.freeze({ name, code, retryable, closesConnection });
}

/**
 * Every error code of protocol v1, in code order. Codes are append-only, so a client must also
 * accept codes missing from this table (see {@link errorCodeInfo}).
 */
export const ERROR_CODES: readonly ErrorCodeInfo[] = Object.freeze([
  info("bad_frame", 1, false, true),
  info("protocol_mismatch", 2, false, true),
  info("protocol_violation", 3, false, true),
  info("frame_too_large", 4, false, true),
  info("unknown_op", 5, false, false),
  info("unauthorized", 6, false, true),
  info("invalid", 7, false, false),
  info("not_found", 8, false, false),
  info("conflict", 9, false, false),
  info("stale_delivery", 10, false, false),
  info("redirect", 11, true, false),
  info("resource_exhausted", 12, true, false),
  info("unavailable", 13, true, false),
  info("quarantined", 14, false, false),
  info("timeout", 15, true, false),
  info("internal", 16, false, false),
]);

/** The number of every named error code, e.g. `ErrorCode.not_found === 8`. */
export const ErrorCode: Readonly<Record<ErrorCodeName, number>> = Object.freeze(
  Object.fromEntries(ERROR_CODES.map((entry) => [entry.name, entry.code])) as Record<ErrorCodeName, number>,
);

const errorCodeByNumber: ReadonlyMap<number, ErrorCodeInfo> = new Map(
  ERROR_CODES.map((entry) => [entry.code, entry] as const),
);

/**
 * The table entry for an error code number, or `undefined` for a code this version does not
 * know (which must be reported by number rather than rejected).
 *
 * @param code - the value of `Error.code`
 */
export function errorCodeInfo(code: number): ErrorCodeInfo | undefined {
  return errorCodeByNumber.get(code);
}
