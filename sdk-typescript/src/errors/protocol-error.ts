// The error for a broker that sent something the protocol forbids.

import { SinewError } from "./sinew-error.js";

/**
 * The broker sent something the protocol forbids: an undecodable frame, a reply of the wrong
 * kind, or a reply that contradicts the request. The connection is closed when the stream
 * cannot be trusted any more.
 */
export class ProtocolError extends SinewError {
  override readonly name = "ProtocolError";
  readonly code = "protocol_error";
  readonly isRetryable = false;
}
