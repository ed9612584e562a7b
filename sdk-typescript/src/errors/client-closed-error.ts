// The error for using a client, or a handle, after it was closed.

import { SinewError } from "./sinew-error.js";

/** The client, or the handle used (a publisher), was closed. */
export class ClientClosedError extends SinewError {
  override readonly name = "ClientClosedError";
  readonly code = "client_closed";
  readonly isRetryable = false;
}
