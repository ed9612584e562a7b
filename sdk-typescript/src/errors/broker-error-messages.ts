// Messages for broker errors, written for the reader: what happened, in terms of the operation
// the client was doing, and what to do about it.

import type { ErrorCodeName } from "../wire/generated/errors.js";

/** What the client was doing when the broker answered with an error. */
export interface BrokerErrorContext {
  /** The operation, e.g. `"declareQueue"`, `"publish"`, `"subscribe"`, `"ack"`. */
  readonly operation?: string;
  /** The queue's topic, when the operation concerned one. */
  readonly topic?: string;
  /** The queue's group, when it had one. */
  readonly group?: string | undefined;
}

function queueName(topic: string | undefined, group: string | undefined): string {
  if (topic === undefined) return "the queue";
  return group === undefined ? `the queue ${topic}` : `the queue ${topic} (group ${group})`;
}

function advice(code: ErrorCodeName | "unknown", brokerCode: number, details: ReadonlyMap<string, string>, context: BrokerErrorContext): string {
  const topic = details.get("topic") ?? context.topic;
  const group = details.has("topic") ? details.get("group") : context.group;
  const field = details.get("field");
  const reason = details.get("reason");
  switch (code) {
    case "bad_frame":
      return "the broker could not decode a frame this client sent; this is a client bug or a corrupted connection, so do not retry the same request";
    case "protocol_mismatch": {
      const supported = details.get("supported");
      return `the broker does not speak protocol version 1${supported === undefined ? "" : ` (it speaks ${supported})`}; use a client and broker with a protocol version in common`;
    }
    case "protocol_violation":
      return "the broker received a frame the protocol does not allow at this point; this is a client bug";
    case "frame_too_large": {
      const limit = details.get("max_frame_bytes");
      return `a frame exceeded the broker's size limit${limit === undefined ? "" : ` of ${limit} bytes`}; shrink the payload or split the batch`;
    }
    case "unknown_op":
      return "the broker does not know this operation; it is older than the client, so upgrade the broker";
    case "unauthorized":
      return "the broker refused the connection's credentials; check SinewClientOptions.credentials";
    case "invalid":
      return `the broker rejected an argument${field === undefined ? "" : ` in ${field}`}${reason === undefined ? "" : ` (${reason})`}; fix the request before retrying`;
    case "not_found": {
      const partition = details.get("partition");
      if (partition !== undefined) return `partition ${partition} of ${queueName(topic, group)} does not exist`;
      if (context.operation === "unsubscribe") return "the subscription does not exist on the broker any more";
      return `${queueName(topic, group)} does not exist; declare it first with declareQueue`;
    }
    case "conflict": {
      const existing = details.get("existing");
      const requested = details.get("requested");
      const difference =
        field === undefined ? "" : ` (${field} is ${existing ?? "different"}, the request asked for ${requested ?? "another value"})`;
      return `the request conflicts with the existing state of ${queueName(topic, group)}${difference}; declare it with its existing settings or use another name`;
    }
    case "stale_delivery":
      return "the delivery is no longer held by this session: it was already settled, or its lease expired and it was returned to the queue; it may be delivered again, so make handlers idempotent";
    case "redirect":
      return "the routing the client used is stale; the client refreshes its topology, and retrying the operation is safe";
    case "resource_exhausted":
      return "a broker limit was reached (subscriptions per connection, disk space or the dedup window); retry with backoff";
    case "unavailable":
      return "the broker or the partition cannot serve right now (starting, recovering or shutting down); retry with backoff";
    case "quarantined": {
      const partition = details.get("partition");
      return `${partition === undefined ? "a partition" : `partition ${partition}`} of ${queueName(topic, group)} failed its recovery checks and is parked until an operator repairs it`;
    }
    case "timeout":
      return "the broker gave up waiting before completing the request, which may or may not have taken effect; a ReliablePublisher retries publishes safely";
    case "internal":
      return "the broker failed unexpectedly; its message says more";
    case "unknown":
      return `the broker answered with error code ${brokerCode}, which this client version does not know`;
  }
}

/**
 * The message of a broker error: the client's explanation and advice, then the broker's own
 * message.
 */
export function describeBrokerError(
  code: ErrorCodeName | "unknown",
  brokerCode: number,
  brokerMessage: string,
  details: ReadonlyMap<string, string>,
  context: BrokerErrorContext,
): string {
  const operation = context.operation === undefined ? "" : `${context.operation} failed: `;
  const said = brokerMessage.length === 0 ? "" : ` (broker: ${brokerMessage})`;
  return `${operation}${advice(code, brokerCode, details, context)}${said} [${code}]`;
}
