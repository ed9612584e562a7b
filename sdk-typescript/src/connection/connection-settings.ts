// What the client core tells a connection: how to open it, and the options of one request.

import type { BrokerErrorContext } from "../errors/broker-error-messages.js";
import type { Auth, WireMessage } from "../wire/generated/messages.js";

/** What a connection needs to know to open. */
export interface ConnectionSettings {
  readonly clientName: string;
  readonly clientVersion: string;
  readonly auth: Auth | undefined;
  readonly heartbeatMs: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** Options of one request. */
export interface RequestOptions {
  /** Header flags, e.g. `FrameFlags.Confirm`. */
  readonly flags?: number;
  /** Stops waiting for the reply (the request may still take effect). */
  readonly signal?: AbortSignal | undefined;
  /** What the caller is doing, for broker error messages. */
  readonly context?: BrokerErrorContext;
  /** Runs on the read loop when the successful reply arrives, before the caller resumes. */
  readonly onReply?: (reply: WireMessage) => void;
}
