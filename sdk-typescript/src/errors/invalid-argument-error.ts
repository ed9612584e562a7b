// The error for a call the client refused before sending anything.

import { SinewError, type SinewErrorOptions } from "./sinew-error.js";

/** Options of an {@link InvalidArgumentError}. */
export interface InvalidArgumentErrorOptions extends SinewErrorOptions {
  /** The protocol's reason word, e.g. `reserved_prefix`, when a named rule was broken. */
  readonly reason?: string;
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
  /** The protocol's reason word, when a named rule was broken (e.g. `reserved_prefix`). */
  readonly reason: string | undefined;

  /**
   * @param argument - the argument or option at fault
   * @param message - what is wrong and how to fix it
   * @param options - the reason word and the cause, if any
   */
  constructor(argument: string, message: string, options: InvalidArgumentErrorOptions = {}) {
    super(message, options);
    this.argument = argument;
    this.reason = options.reason;
  }
}
