// Typed messages: one interface per op (discriminated by `op`) and one per record of protocol
// v1. Field names are the protocol's snake_case names in camelCase.
//
// Type mapping: u8/u16/u32 -> number, u64 -> bigint, bin -> Uint8Array, str -> string,
// strmap -> Map<string, string>, enums -> string-literal unions; an optional field is an
// optional property, absent when the wire carried nil or left it out.

import type {
  AckMode,
  AuthMechanism,
  ChannelKind,
  CloseReason,
  DeadLetterKind,
  ReconcileOutcome,
  ReconcilePolicy,
  StreamDurability,
  StreamStartKind,
} from "./enums.js";

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

/** Credentials offered in `Hello.auth`. */
export interface Auth {
  /** How to read the other two fields. */
  mechanism: AuthMechanism;
  /** The user name (`plain`), or empty (`token`). */
  identity: string;
  /** The password or the bearer token. */
  secret: string;
}

/** The limits a broker announces in `HelloOk`. */
export interface Limits {
  /** Largest frame body either side may send. */
  maxFrameBytes: number;
  /** Most messages in one `PublishBatch`. */
  maxBatchMessages: number;
  /** Most headers on one message. */
  maxHeaders: number;
  /** Largest prefetch a subscription may ask for. */
  maxPrefetch: number;
}

/** Where a queue's dead messages go. */
export interface DeadLetterPolicy {
  /** Discard, the broker's global target, or a named queue. */
  kind: DeadLetterKind;
  /** The target queue's topic; required when `kind` is `queue`. */
  topic?: string;
  /** The target queue's group. */
  group?: string;
}

/** A stream's retention limits; an absent member means unlimited. */
export interface Retention {
  /** Drop records older than this many milliseconds. */
  maxAgeMs?: bigint;
  /** Keep at most this many bytes per partition. */
  maxBytes?: bigint;
  /** Keep at most this many records per partition. */
  maxRecords?: bigint;
}

/** Where an ephemeral stream reader starts. */
export interface StreamStart {
  /** The kind of starting point. */
  kind: StreamStartKind;
  /** The offset, record count or unix-ms time, depending on `kind`. */
  value?: bigint;
}

/** Membership of a queue's exclusive consumer group. */
export interface ConsumerGroup {
  /** A stable member id, so a reconnecting member gets its partitions back. */
  memberId?: string;
  /** The expected number of members (a hint). */
  consumerTarget?: number;
}

/** One message to publish. */
export interface PublishMessage {
  /** The message body, opaque to the broker. */
  payload: Uint8Array;
  /** The content type, e.g. `application/json`. */
  contentType?: string;
  /** User headers. */
  headers?: Map<string, string>;
  /** The routing key that selects the partition. */
  partitionKey?: Uint8Array;
  /** The partition the client routed to. */
  partition?: number;
  /** Deliver no earlier than this unix-ms time. */
  notBeforeMs?: bigint;
  /** Deliver no earlier than this many milliseconds after the broker receives it. */
  delayMs?: bigint;
  /** Expire this many milliseconds after the broker receives it. */
  ttlMs?: bigint;
  /** Idempotency key: the producer. */
  producerId?: string;
  /** Idempotency key: the producer's sequence number. */
  sequence?: bigint;
}

/** Where one published message was stored. */
export interface PublishResult {
  /** The partition. */
  partition: number;
  /** The message's offset in that partition. */
  offset: bigint;
  /** Whether this publish duplicated an earlier one with the same idempotency key. */
  duplicate: boolean;
}

/** One message pushed to a subscription. */
export interface DeliveredMessage {
  /** Session-unique id used to settle this delivery. */
  deliveryId: bigint;
  /** The message's partition. */
  partition: number;
  /** The message's offset in that partition. */
  offset: bigint;
  /** 1 on the first delivery, one more on each redelivery. */
  attempt: number;
  /** When the broker stored the message (unix ms). */
  publishedAtMs: bigint;
  /** The message body. */
  payload: Uint8Array;
  /** The content type. */
  contentType?: string;
  /** User headers, plus `sinew.*` metadata where the broker added some. */
  headers?: Map<string, string>;
}

/** One delivery failed, retried or delayed by a `Nack`. */
export interface NackItem {
  /** The delivery. */
  deliveryId: bigint;
  /** `true` to retry, `false` to fail (dead-letter). */
  requeue: boolean;
  /** With `requeue`: not before this unix-ms time. */
  notBeforeMs?: bigint;
  /** With `requeue`: not before this many milliseconds from now. */
  delayMs?: bigint;
  /** Error text kept on the dead-lettered copy. */
  reason?: string;
}

/** One delivery whose lease an `ExtendLease` renews. */
export interface LeaseExtension {
  /** The delivery. */
  deliveryId: bigint;
  /** The new lease length from now; absent for the queue's `lease_ms`. */
  extendMs?: bigint;
}

/** One settlement that did not take effect. */
export interface SettleFailure {
  /** The delivery that was not settled. */
  deliveryId: bigint;
  /** Why, as an error code number. */
  code: number;
}

/** One broker of the cluster. */
export interface BrokerInfo {
  /** The broker's stable id. */
  brokerId: string;
  /** `host:port` addresses, in order of preference. */
  endpoints: string[];
}

/** One queue or stream in the catalogue. */
export interface ChannelInfo {
  /** Queue or stream. */
  kind: ChannelKind;
  /** The topic. */
  topic: string;
  /** The group. */
  group?: string;
  /** The partition count. */
  partitions: number;
  /** The version to put in `Publish.routingVersion`. */
  routingVersion: bigint;
  /** Per partition, an index into `Topology.brokers`; absent when one broker owns everything. */
  owners?: number[];
}

/** One subscription the client still holds, listed in a `Reconcile`. */
export interface ReconcileEntry {
  /** The id the client knows. */
  subscriptionId: bigint;
  /** Queue or stream. */
  kind: ChannelKind;
  /** The topic. */
  topic: string;
  /** The group. */
  group?: string;
  /** The partition, if the subscription named one. */
  partition?: number;
  /** The ack mode. */
  ackMode: AckMode;
  /** The prefetch. */
  prefetch: number;
  /** The durable cursor name (streams). */
  cursor?: string;
}

/** The broker's verdict on one listed subscription. */
export interface ReconcileResult {
  /** The id the client sent. */
  subscriptionId: bigint;
  /** Kept, restored or closed. */
  outcome: ReconcileOutcome;
  /** The id to use from now on (`restored`). */
  newSubscriptionId?: bigint;
}

// ---------------------------------------------------------------------------------------------
// Ops
// ---------------------------------------------------------------------------------------------

/** Opens the session; the client's first frame. */
export interface Hello {
  op: "Hello";
  /** Lowest protocol version the client speaks. */
  minVersion: number;
  /** Highest protocol version the client speaks. */
  maxVersion: number;
  /** Library or application name, for logs and the admin view. */
  clientName: string;
  /** Its version. */
  clientVersion: string;
  /** Credentials. */
  auth?: Auth;
  /** Token of a session to resume. */
  resumeToken?: Uint8Array;
  /** Preferred heartbeat interval in milliseconds. */
  heartbeatMs?: bigint;
}

/** Accepts the session. */
export interface HelloOk {
  op: "HelloOk";
  /** The negotiated protocol version. */
  version: number;
  /** The broker's stable id. */
  serverId: string;
  /** The broker's software version. */
  serverVersion: string;
  /** This session's id (the same after a resume). */
  sessionId: string;
  /** Token to resume this session. */
  resumeToken: Uint8Array;
  /** Whether `Hello.resumeToken` revived a dormant session. */
  resumed: boolean;
  /** Heartbeat interval both sides use, in milliseconds; 0 disables heartbeats. */
  heartbeatMs: bigint;
  /** The limits in force for this session. */
  limits: Limits;
}

/** A heartbeat probe from either side. */
export interface Ping {
  op: "Ping";
}

/** The answer to a `Ping`, with its request id. */
export interface Pong {
  op: "Pong";
}

/** A clean close from the client. */
export interface Goodbye {
  op: "Goodbye";
}

/** A drain notice from the broker. */
export interface GoingAway {
  op: "GoingAway";
  /** When the broker will close connections (unix ms). */
  deadlineAtMs: bigint;
  /** Why. */
  message: string;
  /** An endpoint (`host:port`) to reconnect to. */
  reconnectTo?: string;
}

/** The generic success reply to `Goodbye` and `Unsubscribe`. */
export interface Ok {
  op: "Ok";
}

/** A failure reported by the broker. */
export interface Error {
  op: "Error";
  /** The error code number; see `ERROR_CODES`. Unknown codes must be accepted. */
  code: number;
  /** Whether the same request may succeed later. */
  retryable: boolean;
  /** A human-readable explanation. */
  message: string;
  /** Machine-readable context; the keys depend on the code. */
  details?: Map<string, string>;
}

/** Creates or confirms a queue. */
export interface DeclareQueue {
  op: "DeclareQueue";
  /** The queue's topic. */
  topic: string;
  /** Its group (namespace). */
  group?: string;
  /** Partition count, at least 1. */
  partitions?: number;
  /** Where dead messages go. */
  deadLetter?: DeadLetterPolicy;
  /** Redeliveries allowed after the first delivery. */
  maxRetries?: number;
  /** TTL in milliseconds for messages published without one. */
  defaultTtlMs?: bigint;
  /** How long a delivery is held before it returns to ready, in milliseconds. */
  leaseMs?: bigint;
}

/** A queue's effective settings. */
export interface DeclareQueueOk {
  op: "DeclareQueueOk";
  /** Whether this request created the queue. */
  created: boolean;
  /** Partition count. */
  partitions: number;
  /** Dead-letter policy. */
  deadLetter: DeadLetterPolicy;
  /** Retries allowed. */
  maxRetries: number;
  /** Default TTL in milliseconds; absent when messages never expire by default. */
  defaultTtlMs?: bigint;
  /** Lease length in milliseconds. */
  leaseMs: bigint;
}

/** Creates or confirms a stream. */
export interface DeclareStream {
  op: "DeclareStream";
  /** The stream's topic. */
  topic: string;
  /** Its group. */
  group?: string;
  /** Partition count. */
  partitions?: number;
  /** Durability tier. */
  durability?: StreamDurability;
  /** Retention limits. */
  retention?: Retention;
}

/** A stream's effective settings. */
export interface DeclareStreamOk {
  op: "DeclareStreamOk";
  /** Whether this request created the stream. */
  created: boolean;
  /** Partition count. */
  partitions: number;
  /** Durability tier. */
  durability: StreamDurability;
  /** Retention limits (absent members: unlimited). */
  retention: Retention;
}

/** Publishes one message. The `confirm` flag asks for a `PublishOk`. */
export interface Publish {
  op: "Publish";
  /** The queue's or stream's topic. */
  topic: string;
  /** Its group. */
  group?: string;
  /** The message. */
  message: PublishMessage;
  /** The topology version the client routed with. */
  routingVersion?: bigint;
}

/** Publishes several messages to one queue or stream. The `confirm` flag asks for a `PublishOk`. */
export interface PublishBatch {
  op: "PublishBatch";
  /** The queue's or stream's topic. */
  topic: string;
  /** Its group. */
  group?: string;
  /** The messages. */
  messages: PublishMessage[];
  /** The topology version the client routed with. */
  routingVersion?: bigint;
}

/** Confirms a publish once it is durable. */
export interface PublishOk {
  op: "PublishOk";
  /** One result per message, in order. */
  results: PublishResult[];
}

/** Attaches a consumer to a queue. */
export interface Subscribe {
  op: "Subscribe";
  /** The queue's topic. */
  topic: string;
  /** Its group. */
  group?: string;
  /** One partition; absent for all. */
  partition?: number;
  /** Manual or auto acknowledgement. */
  ackMode: AckMode;
  /** Most unsettled deliveries held at once. */
  prefetch: number;
  /** Join the queue's exclusive consumer group. */
  consumerGroup?: ConsumerGroup;
}

/** Attaches a reader to a stream. */
export interface SubscribeStream {
  op: "SubscribeStream";
  /** The stream's topic. */
  topic: string;
  /** Its group. */
  group?: string;
  /** One partition; absent for all. */
  partition?: number;
  /** Manual or auto acknowledgement. */
  ackMode: AckMode;
  /** Most unacknowledged deliveries at once. */
  prefetch: number;
  /** Durable cursor name. */
  cursor?: string;
  /** Where an ephemeral reader starts (default `latest`). */
  start?: StreamStart;
  /** Header filters, all of which must match. */
  filters?: Map<string, string>;
}

/** Accepts a `Subscribe` or `SubscribeStream`. */
export interface SubscribeOk {
  op: "SubscribeOk";
  /** Session-unique subscription id. */
  subscriptionId: bigint;
  /** The partitions this subscription covers. */
  partitions: number[];
}

/** Ends a subscription. */
export interface Unsubscribe {
  op: "Unsubscribe";
  /** The subscription. */
  subscriptionId: bigint;
}

/** Pushes messages to a subscription. */
export interface Deliver {
  op: "Deliver";
  /** The subscription. */
  subscriptionId: bigint;
  /** One or more messages. */
  messages: DeliveredMessage[];
}

/** The broker ended a subscription on its own. */
export interface SubscriptionClosed {
  op: "SubscriptionClosed";
  /** The subscription. */
  subscriptionId: bigint;
  /** Why. */
  reason: CloseReason;
  /** Human-readable detail. */
  message: string;
}

/** The partitions a consumer-group member now owns. */
export interface AssignmentChanged {
  op: "AssignmentChanged";
  /** The member's subscription. */
  subscriptionId: bigint;
  /** Assignment generation, increasing. */
  generation: bigint;
  /** The partitions now assigned (possibly none). */
  partitions: number[];
}

/** Settles deliveries as done. */
export interface Ack {
  op: "Ack";
  /** The deliveries. */
  deliveryIds: bigint[];
}

/** Fails, retries or delays deliveries. */
export interface Nack {
  op: "Nack";
  /** One item per delivery. */
  items: NackItem[];
}

/** Keeps deliveries the consumer is still working on. */
export interface ExtendLease {
  op: "ExtendLease";
  /** One item per delivery. */
  items: LeaseExtension[];
}

/** Answers a settlement frame that had a request id, once its effects are durable. */
export interface SettleOk {
  op: "SettleOk";
  /** The items that failed; empty when all succeeded. */
  failures: SettleFailure[];
}

/** Asks for the catalogue of queues and streams. */
export interface TopologyRequest {
  op: "TopologyRequest";
}

/** The catalogue of queues and streams; a reply, or pushed with request id 0. */
export interface Topology {
  op: "Topology";
  /** Catalogue generation, increasing. */
  generation: bigint;
  /** The brokers. */
  brokers: BrokerInfo[];
  /** Every queue and stream. */
  channels: ChannelInfo[];
}

/** The client applied a pushed topology. */
export interface TopologyAck {
  op: "TopologyAck";
  /** The generation applied. */
  generation: bigint;
}

/** After a resume, lists the client's subscriptions. */
export interface Reconcile {
  op: "Reconcile";
  /** Conservative or restore. */
  policy: ReconcilePolicy;
  /** Every subscription the client holds. */
  subscriptions: ReconcileEntry[];
}

/** The broker's verdict on each listed subscription. */
export interface ReconcileOk {
  op: "ReconcileOk";
  /** One result per listed subscription. */
  results: ReconcileResult[];
}

/** Any message of protocol v1, discriminated by `op`. */
export type WireMessage =
  | Hello
  | HelloOk
  | Ping
  | Pong
  | Goodbye
  | GoingAway
  | Ok
  | Error
  | DeclareQueue
  | DeclareQueueOk
  | DeclareStream
  | DeclareStreamOk
  | Publish
  | PublishBatch
  | PublishOk
  | Subscribe
  | SubscribeStream
  | SubscribeOk
  | Unsubscribe
  | Deliver
  | SubscriptionClosed
  | AssignmentChanged
  | Ack
  | Nack
  | ExtendLease
  | SettleOk
  | TopologyRequest
  | Topology
  | TopologyAck
  | Reconcile
  | ReconcileOk;

/** The message type of one op, e.g. `MessageOf<"Publish">`. */
export type MessageOf<Op extends WireMessage["op"]> = Extract<WireMessage, { op: Op }>;

/** Every record type of protocol v1, keyed by the record's name. */
export interface RecordTypes {
  Auth: Auth;
  Limits: Limits;
  DeadLetterPolicy: DeadLetterPolicy;
  Retention: Retention;
  StreamStart: StreamStart;
  ConsumerGroup: ConsumerGroup;
  PublishMessage: PublishMessage;
  PublishResult: PublishResult;
  DeliveredMessage: DeliveredMessage;
  NackItem: NackItem;
  LeaseExtension: LeaseExtension;
  SettleFailure: SettleFailure;
  BrokerInfo: BrokerInfo;
  ChannelInfo: ChannelInfo;
  ReconcileEntry: ReconcileEntry;
  ReconcileResult: ReconcileResult;
}
