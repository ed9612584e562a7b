// The error for a failure the broker reported in an `Error` frame or a settlement failure,
// keeping the broker's stable code, its retryable flag and its details.

import { errorCodeInfo, type ErrorCodeName } from "../wire/generated/errors.js";
import { describeBrokerError, type BrokerErrorContext } from "./broker-error-messages.js";
import { SinewError, type SinewErrorOptions } from "./sinew-error.js";

/**
 * The code of a {@link BrokerError}: the protocol's name for the broker's error code, or
 * `"unknown"` for a code newer than this client (its number is in {@link BrokerError.brokerCode}).
 */
export type BrokerErrorCode = ErrorCodeName | "unknown";

/** The fields of a {@link BrokerError}, as the broker sent them. */
export interface BrokerErrorInit {
  /** The numeric error code from the frame. */
  readonly brokerCode: number;
  /** The frame's `retryable` flag, which is authoritative. */
  readonly retryable: boolean;
  /** The broker's own explanation. */
  readonly brokerMessage: string;
  /** Machine-readable context; the keys depend on the code. */
  readonly details?: ReadonlyMap<string, string>;
}

/** The broker answered an operation with an error. */
export class BrokerError extends SinewError {
  override readonly name = "BrokerError";
  readonly code: BrokerErrorCode;
  readonly isRetryable: boolean;
  /** The numeric code the broker sent; the only way to tell apart codes this client does not know. */
  readonly brokerCode: number;
  /** The broker's own explanation, without the advice this client adds to `message`. */
  readonly brokerMessage: string;
  /** Machine-readable context, e.g. `field` and `reason` for `invalid`; empty when none was sent. */
  readonly details: ReadonlyMap<string, string>;

  /**
   * @param init - the code, flag, message and details the broker sent
   * @param context - what the client was doing, used to write a helpful message
   * @param options - the underlying cause, if any
   */
  constructor(init: BrokerErrorInit, context: BrokerErrorContext = {}, options: SinewErrorOptions = {}) {
    const details = init.details ?? new Map<string, string>();
    const code: BrokerErrorCode = errorCodeInfo(init.brokerCode)?.name ?? "unknown";
    super(describeBrokerError(code, init.brokerCode, init.brokerMessage, details, context), options);
    this.code = code;
    this.brokerCode = init.brokerCode;
    this.isRetryable = init.retryable;
    this.brokerMessage = init.brokerMessage;
    this.details = details;
  }
}
