// The typed error a decoder raises for a frame it cannot accept, the kinds of decode failure,
// and the order in which they are checked.

import type { ErrorCodeName } from "./errors.js";
import type { FrameHeader } from "./frame-header.js";

/** Why a frame could not be decoded (protocol section 6). */
export type DecodeErrorKind =
  | "truncated_header"
  | "bad_magic"
  | "unsupported_version"
  | "bad_flags"
  | "frame_too_large"
  | "truncated_body"
  | "unknown_opcode"
  | "malformed_body"
  | "trailing_bytes"
  | "wrong_type"
  | "missing_field"
  | "invalid_value";

/**
 * The error code a broker answers each decode failure with, when it answers at all: a
 * truncated frame means the peer is gone, so nothing is sent for those.
 */
export const DECODE_ERROR_CODES: Readonly<Record<DecodeErrorKind, ErrorCodeName>> = Object.freeze({
  truncated_header: "bad_frame",
  bad_magic: "bad_frame",
  unsupported_version: "protocol_mismatch",
  bad_flags: "bad_frame",
  frame_too_large: "frame_too_large",
  truncated_body: "bad_frame",
  unknown_opcode: "unknown_op",
  malformed_body: "bad_frame",
  trailing_bytes: "bad_frame",
  wrong_type: "bad_frame",
  missing_field: "bad_frame",
  invalid_value: "bad_frame",
});

/** Every decode error kind. */
export const DECODE_ERROR_KINDS: readonly DecodeErrorKind[] = Object.freeze(
  Object.keys(DECODE_ERROR_CODES) as DecodeErrorKind[],
);

/** The field-level kinds, which share the last place in {@link DECODE_ERROR_PRECEDENCE}. */
export const FIELD_ERROR_KINDS: readonly DecodeErrorKind[] = Object.freeze([
  "wrong_type",
  "missing_field",
  "invalid_value",
] as const);

/**
 * The order in which a decoder checks a frame; the first failing check is reported. `"fields"`
 * stands for the field-level kinds, which are checked field by field, depth first.
 */
export const DECODE_ERROR_PRECEDENCE: readonly (DecodeErrorKind | "fields")[] = Object.freeze([
  "truncated_header",
  "bad_magic",
  "unsupported_version",
  "frame_too_large",
  "truncated_body",
  "unknown_opcode",
  "bad_flags",
  "malformed_body",
  "trailing_bytes",
  "fields",
] as const);

/** Extra context attached to a {@link FrameDecodeError}. */
export interface FrameDecodeErrorOptions {
  /** The underlying error, when another library reported the problem first. */
  readonly cause?: unknown;
  /** The frame's header, when it was complete enough to read. */
  readonly header?: FrameHeader;
  /** Where in the body a field error was found, e.g. `"messages[1].headers"`. */
  readonly field?: string;
}

/**
 * A frame that cannot be accepted. {@link FrameDecodeError.kind} says why, in the terms of the
 * protocol's decoding rules, so callers can answer with the right error code.
 */
export class FrameDecodeError extends Error {
  override readonly name = "FrameDecodeError";

  /** Why the frame was rejected. */
  readonly kind: DecodeErrorKind;

  /**
   * The header of the rejected frame, when it was read. A receiver uses it to answer an
   * `unknown_opcode` frame with the request id it carried.
   */
  readonly header: FrameHeader | undefined;

  /** For field errors, the path of the offending field, e.g. `"message.headers"`. */
  readonly field: string | undefined;

  /**
   * @param kind - why the frame was rejected
   * @param message - a human-readable explanation
   * @param options - the cause, header and field path, where known
   */
  constructor(kind: DecodeErrorKind, message: string, options: FrameDecodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.header = options.header;
    this.field = options.field;
  }

  /** The error code a broker answers this failure with (see {@link DECODE_ERROR_CODES}). */
  get errorCode(): ErrorCodeName {
    return DECODE_ERROR_CODES[this.kind];
  }
}
