// Turning what the broker (or a peer that is not a broker) sent into errors and readable text.

import { BrokerError } from "../errors/broker-error.js";
import type { BrokerErrorContext } from "../errors/broker-error-messages.js";
import { OP_DEFINITIONS } from "../wire/generated/definitions.js";
import type { Error as ErrorFrame } from "../wire/generated/messages.js";

/** Ops only a client sends (per the registry): a broker that sends one has broken the protocol. */
export const CLIENT_OPS_FROM_BROKER: ReadonlySet<string> = new Set(
  Object.entries(OP_DEFINITIONS)
    .filter(([, definition]) => definition.from === "client")
    .map(([op]) => op),
);

/** The typed error for an `Error` frame. */
export function brokerErrorOf(frame: ErrorFrame, context: BrokerErrorContext): BrokerError {
  return new BrokerError(
    {
      brokerCode: frame.code,
      retryable: frame.retryable,
      brokerMessage: frame.message,
      ...(frame.details === undefined ? {} : { details: frame.details }),
    },
    context,
  );
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Shows what a non-Sinew peer sent, as text when it is printable (an HTTP status line reads
// better than hex).
export function describeBytes(bytes: Uint8Array | undefined): string {
  if (bytes === undefined || bytes.byteLength === 0) return "nothing";
  const printable = [...bytes].every((byte) => byte === 0x0d || byte === 0x0a || (byte >= 0x20 && byte < 0x7f));
  if (printable) return JSON.stringify(Buffer.from(bytes).toString("latin1").replace(/[\r\n].*$/s, ""));
  return `bytes ${Buffer.from(bytes).toString("hex").replace(/(..)(?!$)/g, "$1 ")}`;
}
