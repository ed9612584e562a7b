// The error for a call the client refused before sending anything.

import { SinewError, type SinewErrorOptions } from "./sinew-error.js";

/** Options of an {@link InvalidArgumentError}. */
export interface InvalidArgumentErrorOptions extends SinewErrorOptions {
  /**
   * The rule that was broken, as a stable snake_case word: the protocol's word where it has one
   * (`empty`, `too_long`, `reserved_prefix`, `whitespace`, …), otherwise one of the client's
   * (`wrong_type`, `out_of_range`, `too_many`, `duplicate`, `conflicting_options`,
   * `invalid_endpoint`, `not_json`, `not_msgpack`, `not_encodable`, `frame_too_large`,
   * `auto_ack`, `already_settled`).
   */
  readonly reason: string;
}

/**
 * The client refused the call before sending it: a bad name, a reserved header, an option out
 * of range, or a misuse such as settling a delivery twice.
 */
export class InvalidArgumentError extends SinewError {
  override readonly name = "InvalidArgumentError";
  readonly code = "invalid_argument";
  readonly isRetryable = false;
  /** The argument or option at fault, e.g. `"topic"`, `"headers"`, `"prefetch"`. */
  readonly argument: string;
  /** The rule that was broken, a stable snake_case word such as `reserved_prefix` or `out_of_range`. */
  readonly reason: string;

  /**
   * @param argument - the argument or option at fault
   * @param message - what is wrong and how to fix it
   * @param options - the reason word and the cause, if any
   */
  constructor(argument: string, message: string, options: InvalidArgumentErrorOptions) {
    super(message, options);
    this.argument = argument;
    this.reason = options.reason;
  }
}
