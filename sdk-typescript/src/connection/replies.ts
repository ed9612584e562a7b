// Which reply answers each request the client sends.

import type { MessageOf } from "../wire/generated/messages.js";

/** The reply op that answers each request op successfully (an `Error` answers any of them). */
export const REPLY_OP = {
  DeclareQueue: "DeclareQueueOk",
  Publish: "PublishOk",
  PublishBatch: "PublishOk",
  Subscribe: "SubscribeOk",
  Unsubscribe: "Ok",
  Ack: "SettleOk",
  Nack: "SettleOk",
  ExtendLease: "SettleOk",
  TopologyRequest: "Topology",
  Goodbye: "Ok",
  Ping: "Pong",
} as const;

/** An op the client sends and expects a reply to. */
export type RequestOp = keyof typeof REPLY_OP;

/** The successful reply to a request op. */
export type ReplyTo<Op extends RequestOp> = MessageOf<(typeof REPLY_OP)[Op]>;
