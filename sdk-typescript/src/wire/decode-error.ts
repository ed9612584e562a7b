// The typed error a decoder raises for a frame it cannot accept. The kinds of decode failure and
// the order in which they are checked are generated from the registry (generated/decode-errors.ts).

import type { FrameHeader } from "./frame-header.js";
import { DECODE_ERROR_CODES, type DecodeErrorKind } from "./generated/decode-errors.js";
import type { ErrorCodeName } from "./generated/errors.js";

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
