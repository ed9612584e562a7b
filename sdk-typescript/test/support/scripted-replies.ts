// The frames engine tests script the fake broker to send: the handshake as the fixed bytes of the
// shared wire vector `hello-ok/new-session` (so the client's decoding of it does not rest on the
// package's own encoder), and builders for the common replies (HelloOk, DeclareQueueOk, PublishOk,
// Error, SubscribeOk, Deliver, SettleOk, Topology) from the fields a test gives.

import { ERROR_CODES, ErrorCode, type ErrorCodeName } from "../../src/wire/generated/errors.js";
import type {
  DeliveredMessage,
  HelloOk,
  Limits,
  MessageOf,
  PublishResult,
  SettleFailure,
} from "../../src/wire/generated/messages.js";
import { fromHex } from "./bytes.js";
import { frameVectorById, isPositive, type PositiveVector } from "./vector-files.js";

/** The wire vector the fake broker's handshake answer comes from. */
export const HANDSHAKE_VECTOR_ID = "hello-ok/new-session";

let handshake: { vector: PositiveVector; bytes: Uint8Array } | undefined;

/** The HelloOk vector the fake broker answers a Hello with: its decoded fields and its bytes. */
export function handshakeVector(): { vector: PositiveVector; bytes: Uint8Array } {
  if (handshake === undefined) {
    const { vector } = frameVectorById(HANDSHAKE_VECTOR_ID);
    if (!isPositive(vector) || vector.op !== "HelloOk") throw new Error(`the wire vector ${HANDSHAKE_VECTOR_ID} is not a HelloOk`);
    handshake = { vector, bytes: fromHex(vector.hex) };
  }
  return handshake;
}

/** The handshake vector's bytes with the request id of the Hello they answer. */
export function handshakeBytes(requestId: number): Uint8Array {
  const bytes = Uint8Array.from(handshakeVector().bytes);
  // The request id is the big-endian u32 at offset 8 of the 16-byte header.
  new DataView(bytes.buffer).setUint32(8, requestId);
  return bytes;
}

/** HelloOk fields a test sets; the rest are the handshake vector's. */
export type HelloOkFields = Partial<Omit<HelloOk, "op" | "limits">> & { readonly limits?: Partial<Limits> };

/** A HelloOk: the handshake vector's fields with `fields` over them. */
export function helloOk(fields: HelloOkFields = {}): HelloOk {
  const vector = handshakeVector().vector.fields as Record<string, unknown>;
  const limits = vector["limits"] as Record<string, number>;
  return {
    op: "HelloOk",
    version: vector["version"] as number,
    serverId: vector["server_id"] as string,
    serverVersion: vector["server_version"] as string,
    sessionId: vector["session_id"] as string,
    resumeToken: Uint8Array.from(Buffer.from(vector["resume_token"] as string, "hex")),
    resumed: false,
    heartbeatMs: BigInt(vector["heartbeat_ms"] as string),
    ...fields,
    limits: {
      maxFrameBytes: limits["max_frame_bytes"] as number,
      maxBatchMessages: limits["max_batch_messages"] as number,
      maxHeaders: limits["max_headers"] as number,
      maxPrefetch: limits["max_prefetch"] as number,
      ...fields.limits,
    },
  };
}

/** A DeclareQueueOk: a created one-partition queue with the broker's defaults, unless given. */
export function declareQueueOk(fields: Partial<Omit<MessageOf<"DeclareQueueOk">, "op">> = {}): MessageOf<"DeclareQueueOk"> {
  return { op: "DeclareQueueOk", created: true, partitions: 1, deadLetter: { kind: "discard" }, maxRetries: 5, leaseMs: 30_000n, ...fields };
}

/** A PublishOk with one result per entry; `duplicate` defaults to false. */
export function publishOk(...results: (Omit<PublishResult, "duplicate"> & { duplicate?: boolean })[]): MessageOf<"PublishOk"> {
  return { op: "PublishOk", results: results.map((result) => ({ duplicate: false, ...result })) };
}

/** An Error frame; `retryable` defaults to the code's entry in the registry. */
export function errorReply(
  code: ErrorCodeName | number,
  options: { readonly retryable?: boolean; readonly message?: string; readonly details?: Readonly<Record<string, string>> } = {},
): MessageOf<"Error"> {
  const number = typeof code === "number" ? code : ErrorCode[code];
  return {
    op: "Error",
    code: number,
    retryable: options.retryable ?? ERROR_CODES.find((entry) => entry.code === number)?.retryable ?? false,
    message: options.message ?? "scripted failure",
    ...(options.details === undefined ? {} : { details: new Map(Object.entries(options.details)) }),
  };
}

/** A SubscribeOk granting `partitions` under `subscriptionId`. */
export function subscribeOk(subscriptionId: bigint, partitions: readonly number[]): MessageOf<"SubscribeOk"> {
  return { op: "SubscribeOk", subscriptionId, partitions: [...partitions] };
}

/** One delivered message as a test writes it: an id and a payload, the rest defaulted. */
export type DeliverySpec = Partial<Omit<DeliveredMessage, "payload">> & { readonly deliveryId: bigint; readonly payload: string | Uint8Array };

/** A Deliver of `messages` on `subscriptionId`: partition 0, offset 0, first attempt unless given. */
export function deliver(subscriptionId: bigint, messages: readonly DeliverySpec[]): MessageOf<"Deliver"> {
  return {
    op: "Deliver",
    subscriptionId,
    messages: messages.map(({ payload, ...fields }) => ({
      partition: 0,
      offset: 0n,
      attempt: 1,
      publishedAtMs: 1_767_225_600_000n,
      ...fields,
      payload: typeof payload === "string" ? new TextEncoder().encode(payload) : payload,
    })),
  };
}

/** A SettleOk reporting `failures` (none by default). */
export function settleOk(failures: readonly SettleFailure[] = []): MessageOf<"SettleOk"> {
  return { op: "SettleOk", failures: [...failures] };
}

/** A Topology listing queues with their partition counts; routing version 1 unless given. */
export function topology(
  queues: readonly { readonly topic: string; readonly partitions: number; readonly group?: string; readonly routingVersion?: bigint }[],
  generation = 1n,
): MessageOf<"Topology"> {
  return {
    op: "Topology",
    generation,
    brokers: [],
    channels: queues.map((queue) => ({
      kind: "queue" as const,
      topic: queue.topic,
      ...(queue.group === undefined ? {} : { group: queue.group }),
      partitions: queue.partitions,
      routingVersion: queue.routingVersion ?? 1n,
    })),
  };
}
