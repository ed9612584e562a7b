// A small scripted broker for engine tests: a net.Server on 127.0.0.1 port 0 that speaks
// protocol v1 with the package's own codec. It keeps in-memory queues (partitions, ready and
// held messages, delays, dedup) so that publishing and consuming behave like the real thing,
// records every frame it receives, and has fault hooks: refuse or drop connections, delay,
// withhold or replace replies, answer with an Error, end subscriptions, push frames. A broker that
// goes silent is the real one behind the fault proxy (test/broker/faults.test.ts).

import { createServer, type Server, type Socket } from "node:net";
import { encodeFrame, type Frame } from "../../src/wire/codec.js";
import type { CloseReason } from "../../src/wire/generated/enums.js";
import { ErrorCode, type ErrorCodeName } from "../../src/wire/generated/errors.js";
import type { FrameHeader } from "../../src/wire/frame-header.js";
import { FrameReader } from "../../src/wire/frame-reader.js";
import { FrameFlags } from "../../src/wire/generated/flags.js";
import type {
  DeadLetterPolicy,
  DeliveredMessage,
  Hello,
  Limits,
  MessageOf,
  PublishMessage,
  PublishResult,
  SettleFailure,
  WireMessage,
} from "../../src/wire/generated/messages.js";
import type { OpName } from "../../src/wire/generated/opcodes.js";
import { partitionForKey } from "../../src/routing/fnv1a.js";

/** How the fake broker is configured. */
export interface FakeBrokerOptions {
  /** Credentials the broker requires; absent for no authentication. */
  readonly auth?: { readonly mechanism?: "plain" | "token"; readonly identity: string; readonly secret: string };
  /** The protocol versions the broker speaks. @default 1..1 */
  readonly versions?: { readonly min: number; readonly max: number };
  /** The heartbeat interval to answer, given the client's request. @default the client's request */
  readonly heartbeatMs?: (requested: bigint | undefined) => number;
  /** Limits announced in HelloOk. */
  readonly limits?: Partial<Limits>;
}

/** One frame the broker received. */
export interface ReceivedFrame<M extends WireMessage = WireMessage> {
  readonly session: FakeSession;
  readonly header: FrameHeader;
  readonly message: M;
  /** `performance.now()` on arrival. */
  readonly at: number;
}

/** What the broker does with an intercepted request instead of its normal handling. */
export type Behaviour =
  | { readonly kind: "default" }
  | { readonly kind: "withhold" }
  | { readonly kind: "delay"; readonly ms: number }
  | {
      readonly kind: "error";
      readonly code: ErrorCodeName | number;
      readonly retryable?: boolean;
      readonly message?: string;
      readonly details?: Readonly<Record<string, string>>;
      /** Send it with request id 0 instead of the request's. */
      readonly unsolicited?: boolean;
    }
  | { readonly kind: "reply"; readonly message: WireMessage }
  | {
      readonly kind: "drop";
      /** Carry the request out first (store a publish, say) but send no answer before dropping. */
      readonly handleFirst?: boolean;
    };

type Interceptor = (frame: ReceivedFrame) => Behaviour | undefined;

interface StoredMessage {
  readonly partition: number;
  readonly offset: bigint;
  readonly message: PublishMessage;
  readonly publishedAtMs: bigint;
  attempts: number;
  notBeforeMs: number;
  state: "ready" | "held" | "done" | "dead";
}

/** A queue held by the fake broker. */
export interface FakeQueue {
  readonly topic: string;
  readonly group: string | undefined;
  readonly partitions: StoredMessage[][];
  readonly maxRetries: number;
  readonly leaseMs: bigint;
  readonly deadLetter: DeadLetterPolicy;
  readonly defaultTtlMs: bigint | undefined;
  readonly dedup: Map<string, PublishResult>;
  roundRobin: number;
  routingVersion: bigint;
}

interface FakeSubscription {
  readonly id: bigint;
  readonly queue: FakeQueue;
  readonly partitions: readonly number[];
  readonly ackMode: "manual" | "auto";
  readonly prefetch: number;
  readonly held: Set<bigint>;
}

interface HeldDelivery {
  readonly stored: StoredMessage;
  readonly subscription: FakeSubscription;
}

const DEFAULT_LIMITS: Limits = { maxFrameBytes: 16_777_216, maxBatchMessages: 1024, maxHeaders: 64, maxPrefetch: 65_535 };

function queueKey(topic: string, group: string | undefined): string {
  return `${topic}\u0000${group ?? ""}`;
}

/** One client connection to the fake broker. */
export class FakeSession {
  readonly id: number;
  readonly subscriptions = new Map<bigint, FakeSubscription>();
  readonly held = new Map<bigint, HeldDelivery>();
  hello: Hello | undefined;
  closed = false;
  /** Send nothing (used to carry out a request whose answer is lost). */
  muted = false;
  private nextDeliveryId = 1n;
  private nextSubscriptionId = 1n;
  private readonly reader = new FrameReader({ maxFrameBytes: 16_777_216 });

  constructor(
    readonly broker: FakeBroker,
    readonly socket: Socket,
    id: number,
  ) {
    this.id = id;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      broker.onSessionClosed(this);
    });
  }

  /** Sends a frame to the client. */
  send(message: WireMessage, requestId = 0, flags = 0): void {
    if (this.closed || this.muted || this.socket.destroyed) return;
    this.socket.write(encodeFrame(message, { requestId, flags }));
  }

  /** Closes the connection abruptly, without a Goodbye. */
  drop(): void {
    this.socket.destroy();
  }

  allocateDeliveryId(): bigint {
    return this.nextDeliveryId++;
  }

  allocateSubscriptionId(): bigint {
    return this.nextSubscriptionId++;
  }

  private onData(chunk: Buffer): void {
    this.reader.push(chunk);
    for (;;) {
      let frame: Frame | undefined;
      try {
        frame = this.reader.next();
      } catch {
        this.socket.destroy();
        return;
      }
      if (frame === undefined) return;
      this.broker.onFrame(this, frame);
    }
  }
}

/** The fake broker. Start it with {@link FakeBroker.start}; stop it with {@link FakeBroker.stop}. */
export class FakeBroker {
  /** Every frame received, in arrival order. */
  readonly frames: ReceivedFrame[] = [];
  /** Every session, in connection order. */
  readonly sessions: FakeSession[] = [];
  /** `performance.now()` of every accepted TCP connection, refused ones included. */
  readonly connectionTimes: number[] = [];
  /** Messages dead-lettered, with the reason. */
  readonly deadLettered: { readonly topic: string; readonly offset: bigint; readonly reason: string | undefined }[] = [];
  /** Accept connections and close them at once, before any byte is exchanged. */
  refuseConnections = false;

  private readonly queues = new Map<string, FakeQueue>();
  private readonly interceptors: { op: OpName; interceptor: Interceptor; remaining: number }[] = [];
  private readonly server: Server;
  private readonly options: FakeBrokerOptions;
  private generation = 1n;
  private nextSessionId = 1;
  private dispatchTimer: NodeJS.Timeout | undefined;
  private pushScheduled = false;

  private constructor(options: FakeBrokerOptions) {
    this.options = options;
    this.server = createServer((socket) => this.onConnection(socket));
  }

  /** Starts a fake broker on 127.0.0.1 with a free port. */
  static async start(options: FakeBrokerOptions = {}): Promise<FakeBroker> {
    const broker = new FakeBroker(options);
    await new Promise<void>((resolve, reject) => {
      broker.server.once("error", reject);
      broker.server.listen(0, "127.0.0.1", () => resolve());
    });
    return broker;
  }

  /** The TCP port. */
  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("the fake broker is not listening");
    return address.port;
  }

  /** `127.0.0.1:port`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The sessions whose connection is still open. */
  get openSessions(): FakeSession[] {
    return this.sessions.filter((session) => !session.closed);
  }

  /**
   * Replaces the handling of the next `times` requests of an op (every one when `times` is
   * omitted) by what `interceptor` returns; returning `undefined` keeps the normal handling.
   */
  intercept<Op extends OpName>(op: Op, interceptor: (frame: ReceivedFrame<MessageOf<Op>>) => Behaviour | undefined, times = Infinity): void {
    this.interceptors.push({ op, interceptor: interceptor as Interceptor, remaining: times });
  }

  /** Removes every interceptor. */
  clearInterceptors(): void {
    this.interceptors.length = 0;
  }

  /** The frames received of one op. */
  framesOf<Op extends OpName>(op: Op): ReceivedFrame<MessageOf<Op>>[] {
    return this.frames.filter((frame) => frame.message.op === op) as ReceivedFrame<MessageOf<Op>>[];
  }

  /** Resolves once a frame of `op` matching `predicate` has arrived. */
  async waitForFrame<Op extends OpName>(
    op: Op,
    predicate: (frame: ReceivedFrame<MessageOf<Op>>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<ReceivedFrame<MessageOf<Op>>> {
    let found: ReceivedFrame<MessageOf<Op>> | undefined;
    await this.waitFor(() => {
      found = this.framesOf(op).find(predicate);
      return found !== undefined;
    }, timeoutMs, `a ${op} frame`);
    return found as ReceivedFrame<MessageOf<Op>>;
  }

  /** Resolves once `condition` holds, polling every few milliseconds. */
  async waitFor(condition: () => boolean, timeoutMs = 5000, what = "the condition"): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
      if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Closes every client connection abruptly. */
  dropConnections(): void {
    for (const session of this.openSessions) session.drop();
  }

  /** Sends a frame to every open session. */
  pushToAll(message: WireMessage, requestId = 0): void {
    for (const session of this.openSessions) session.send(message, requestId);
  }

  /** Ends broker subscriptions with a SubscriptionClosed (all of them, or those matching). */
  closeSubscriptions(reason: CloseReason, message = "", which: (id: bigint) => boolean = () => true): void {
    for (const session of this.openSessions) {
      for (const subscription of [...session.subscriptions.values()]) {
        if (!which(subscription.id)) continue;
        this.removeSubscription(session, subscription);
        session.send({ op: "SubscriptionClosed", subscriptionId: subscription.id, reason, message });
      }
    }
  }

  /** A queue, if declared. */
  queue(topic: string, group?: string): FakeQueue | undefined {
    return this.queues.get(queueKey(topic, group));
  }

  /** Declares a queue directly, as another client would have. */
  declare(topic: string, partitions = 1, group?: string): FakeQueue {
    const key = queueKey(topic, group);
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = {
        topic,
        group,
        partitions: Array.from({ length: partitions }, () => []),
        maxRetries: 5,
        leaseMs: 30_000n,
        deadLetter: { kind: "discard" },
        defaultTtlMs: undefined,
        dedup: new Map(),
        roundRobin: 0,
        routingVersion: 1n,
      };
      this.queues.set(key, queue);
      this.generation++;
    }
    return queue;
  }

  /** Stores messages directly, as another publisher would have. */
  store(topic: string, payloads: readonly (string | { payload: string; partition?: number })[], group?: string): void {
    const queue = this.queue(topic, group);
    if (queue === undefined) throw new Error(`no queue ${topic}`);
    for (const entry of payloads) {
      const spec = typeof entry === "string" ? { payload: entry } : entry;
      const message: PublishMessage = { payload: new TextEncoder().encode(spec.payload), ...(spec.partition === undefined ? {} : { partition: spec.partition }) };
      this.append(queue, message, spec.partition ?? this.nextPartition(queue));
    }
    this.dispatch();
  }

  /** Messages of a queue in a given state. */
  messagesIn(topic: string, state: StoredMessage["state"], group?: string): StoredMessage[] {
    return (this.queue(topic, group)?.partitions ?? []).flat().filter((stored) => stored.state === state);
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    if (this.dispatchTimer !== undefined) clearTimeout(this.dispatchTimer);
    for (const session of this.sessions) session.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------------------------------

  private onConnection(socket: Socket): void {
    this.connectionTimes.push(performance.now());
    if (this.refuseConnections) {
      socket.destroy();
      return;
    }
    this.sessions.push(new FakeSession(this, socket, this.nextSessionId++));
  }

  /** @internal */
  onSessionClosed(session: FakeSession): void {
    for (const subscription of [...session.subscriptions.values()]) this.removeSubscription(session, subscription);
    this.dispatch();
  }

  /** @internal */
  onFrame(session: FakeSession, frame: Frame): void {
    const received: ReceivedFrame = { session, header: frame.header, message: frame.message, at: performance.now() };
    this.frames.push(received);
    const behaviour = this.behaviourFor(received);
    switch (behaviour.kind) {
      case "default":
        this.handle(received);
        return;
      case "withhold":
        return;
      case "delay": {
        const timer = setTimeout(() => {
          if (!session.closed) this.handle(received);
        }, behaviour.ms);
        timer.unref();
        return;
      }
      case "error":
        this.sendError(session, behaviour.unsolicited === true ? 0 : frame.header.requestId, behaviour.code, behaviour.message ?? "scripted failure", {
          retryable: behaviour.retryable,
          details: behaviour.details,
        });
        return;
      case "reply":
        session.send(behaviour.message, frame.header.requestId);
        return;
      case "drop":
        if (behaviour.handleFirst === true) {
          session.muted = true;
          this.handle(received);
        }
        session.drop();
        return;
    }
  }

  private behaviourFor(frame: ReceivedFrame): Behaviour {
    for (const entry of this.interceptors) {
      if (entry.op !== frame.message.op || entry.remaining <= 0) continue;
      const behaviour = entry.interceptor(frame);
      if (behaviour === undefined) continue;
      entry.remaining--;
      return behaviour;
    }
    return { kind: "default" };
  }

  private sendError(
    session: FakeSession,
    requestId: number,
    code: ErrorCodeName | number,
    message: string,
    options: { retryable?: boolean | undefined; details?: Readonly<Record<string, string>> | undefined } = {},
  ): void {
    const number = typeof code === "number" ? code : ErrorCode[code];
    const retryable = options.retryable ?? [11, 12, 13, 15].includes(number);
    session.send({
      op: "Error",
      code: number,
      retryable,
      message,
      ...(options.details === undefined ? {} : { details: new Map(Object.entries(options.details)) }),
    }, requestId);
  }

  private handle(frame: ReceivedFrame): void {
    const { session, header, message } = frame;
    const id = header.requestId;
    if (session.hello === undefined && message.op !== "Hello") {
      this.sendError(session, id, "protocol_violation", "the first frame must be Hello");
      session.socket.end();
      return;
    }
    switch (message.op) {
      case "Hello":
        this.onHello(session, id, message);
        return;
      case "Ping":
        session.send({ op: "Pong" }, id);
        return;
      case "Pong":
      case "TopologyAck":
        return;
      case "Goodbye":
        for (const subscription of [...session.subscriptions.values()]) this.removeSubscription(session, subscription);
        session.send({ op: "Ok" }, id);
        session.socket.end();
        this.dispatch();
        return;
      case "DeclareQueue":
        this.onDeclare(session, id, message);
        return;
      case "Publish":
        this.onPublish(session, id, header.flags, message.topic, message.group, [message.message]);
        return;
      case "PublishBatch":
        this.onPublish(session, id, header.flags, message.topic, message.group, message.messages);
        return;
      case "TopologyRequest":
        session.send(this.topology(), id);
        return;
      case "Subscribe":
        this.onSubscribe(session, id, message);
        return;
      case "Unsubscribe": {
        const subscription = session.subscriptions.get(message.subscriptionId);
        if (subscription === undefined) {
          this.sendError(session, id, "not_found", "no such subscription");
          return;
        }
        this.removeSubscription(session, subscription);
        session.send({ op: "Ok" }, id);
        this.dispatch();
        return;
      }
      case "Ack":
        this.settle(session, id, message.deliveryIds.map((deliveryId) => ({ deliveryId, action: "ack" as const })));
        return;
      case "Nack":
        this.settle(session, id, message.items.map((item) => ({ deliveryId: item.deliveryId, action: "nack" as const, item })));
        return;
      case "ExtendLease":
        this.settle(session, id, message.items.map((item) => ({ deliveryId: item.deliveryId, action: "extend" as const })));
        return;
      default:
        this.sendError(session, id, "protocol_violation", `${message.op} is not sent by clients`);
    }
  }

  private onHello(session: FakeSession, id: number, hello: Hello): void {
    if (session.hello !== undefined) {
      this.sendError(session, id, "protocol_violation", "a second Hello");
      session.socket.end();
      return;
    }
    const versions = this.options.versions ?? { min: 1, max: 1 };
    const high = Math.min(versions.max, hello.maxVersion);
    if (high < Math.max(versions.min, hello.minVersion)) {
      const supported = Array.from({ length: versions.max - versions.min + 1 }, (_, index) => String(versions.min + index)).join(",");
      this.sendError(session, id, "protocol_mismatch", "no protocol version in common", { details: { supported } });
      session.socket.end();
      return;
    }
    const auth = this.options.auth;
    if (auth !== undefined) {
      const given = hello.auth;
      if (given === undefined || given.mechanism !== (auth.mechanism ?? "plain") || given.identity !== auth.identity || given.secret !== auth.secret) {
        this.sendError(session, id, "unauthorized", given === undefined ? "authentication required" : "bad credentials");
        session.socket.end();
        return;
      }
    }
    session.hello = hello;
    const heartbeatMs = this.options.heartbeatMs?.(hello.heartbeatMs) ?? Number(hello.heartbeatMs ?? 0n);
    session.send(
      {
        op: "HelloOk",
        version: high,
        serverId: "fake-broker",
        serverVersion: "0.0.0-test",
        sessionId: `session-${session.id}`,
        resumeToken: new Uint8Array([session.id]),
        resumed: false,
        heartbeatMs: BigInt(heartbeatMs),
        limits: { ...DEFAULT_LIMITS, ...this.options.limits },
      },
      id,
    );
  }

  private onDeclare(session: FakeSession, id: number, declare: MessageOf<"DeclareQueue">): void {
    const existing = this.queue(declare.topic, declare.group);
    if (existing !== undefined) {
      if (declare.partitions !== undefined && declare.partitions !== existing.partitions.length) {
        this.sendError(session, id, "conflict", "partition count differs", {
          details: { field: "partitions", existing: String(existing.partitions.length), requested: String(declare.partitions) },
        });
        return;
      }
    }
    const queue = existing ?? this.declare(declare.topic, declare.partitions ?? 1, declare.group);
    const effective: FakeQueue =
      existing === undefined
        ? Object.assign(queue, {
            maxRetries: declare.maxRetries ?? queue.maxRetries,
            leaseMs: declare.leaseMs ?? queue.leaseMs,
            deadLetter: declare.deadLetter ?? queue.deadLetter,
            defaultTtlMs: declare.defaultTtlMs,
          })
        : queue;
    session.send(
      {
        op: "DeclareQueueOk",
        created: existing === undefined,
        partitions: effective.partitions.length,
        deadLetter: effective.deadLetter,
        maxRetries: effective.maxRetries,
        ...(effective.defaultTtlMs === undefined ? {} : { defaultTtlMs: effective.defaultTtlMs }),
        leaseMs: effective.leaseMs,
      },
      id,
    );
  }

  private onPublish(session: FakeSession, id: number, flags: number, topic: string, group: string | undefined, messages: readonly PublishMessage[]): void {
    const confirm = (flags & FrameFlags.Confirm) !== 0;
    const queue = this.queue(topic, group);
    if (queue === undefined) {
      this.sendError(session, id, "not_found", `no queue ${topic}`, { details: { topic, ...(group === undefined ? {} : { group }) } });
      return;
    }
    const partitions: number[] = [];
    for (const message of messages) {
      const keyed = message.partitionKey === undefined ? undefined : partitionForKey(message.partitionKey, queue.partitions.length);
      if (message.partition !== undefined && (message.partition >= queue.partitions.length || (keyed !== undefined && keyed !== message.partition))) {
        this.sendError(session, id, "invalid", "partition does not match", { details: { field: "partition" } });
        return;
      }
      partitions.push(message.partition ?? keyed ?? this.nextPartition(queue));
    }
    const results = messages.map((message, index) => {
      const dedupKey = message.producerId === undefined ? undefined : `${message.producerId}/${message.sequence}`;
      const original = dedupKey === undefined ? undefined : queue.dedup.get(dedupKey);
      if (original !== undefined) return { ...original, duplicate: true };
      const stored = this.append(queue, message, partitions[index] as number);
      const result = { partition: stored.partition, offset: stored.offset, duplicate: false };
      if (dedupKey !== undefined) queue.dedup.set(dedupKey, result);
      return result;
    });
    if (confirm) session.send({ op: "PublishOk", results }, id);
    this.dispatch();
  }

  private nextPartition(queue: FakeQueue): number {
    const partition = queue.roundRobin % queue.partitions.length;
    queue.roundRobin++;
    return partition;
  }

  private append(queue: FakeQueue, message: PublishMessage, partition: number): StoredMessage {
    const log = queue.partitions[partition] as StoredMessage[];
    const now = Date.now();
    const notBeforeMs = message.notBeforeMs !== undefined ? Number(message.notBeforeMs) : message.delayMs !== undefined ? now + Number(message.delayMs) : 0;
    const stored: StoredMessage = {
      partition,
      offset: BigInt(log.length),
      message,
      publishedAtMs: BigInt(now),
      attempts: 0,
      notBeforeMs,
      state: "ready",
    };
    log.push(stored);
    return stored;
  }

  private topology(): MessageOf<"Topology"> {
    return {
      op: "Topology",
      generation: this.generation,
      brokers: [{ brokerId: "fake-broker", endpoints: [this.address] }],
      channels: [...this.queues.values()].map((queue) => ({
        kind: "queue" as const,
        topic: queue.topic,
        ...(queue.group === undefined ? {} : { group: queue.group }),
        partitions: queue.partitions.length,
        routingVersion: queue.routingVersion,
      })),
    };
  }

  private onSubscribe(session: FakeSession, id: number, subscribe: MessageOf<"Subscribe">): void {
    const queue = this.queue(subscribe.topic, subscribe.group);
    if (queue === undefined) {
      this.sendError(session, id, "not_found", `no queue ${subscribe.topic}`, { details: { topic: subscribe.topic } });
      return;
    }
    if (subscribe.partition !== undefined && subscribe.partition >= queue.partitions.length) {
      this.sendError(session, id, "not_found", "no such partition", { details: { topic: subscribe.topic, partition: String(subscribe.partition) } });
      return;
    }
    const subscription: FakeSubscription = {
      id: session.allocateSubscriptionId(),
      queue,
      partitions: subscribe.partition === undefined ? queue.partitions.map((_, index) => index) : [subscribe.partition],
      ackMode: subscribe.ackMode,
      prefetch: subscribe.prefetch,
      held: new Set(),
    };
    session.subscriptions.set(subscription.id, subscription);
    session.send({ op: "SubscribeOk", subscriptionId: subscription.id, partitions: [...subscription.partitions] }, id);
    this.dispatch();
  }

  private removeSubscription(session: FakeSession, subscription: FakeSubscription): void {
    session.subscriptions.delete(subscription.id);
    for (const deliveryId of subscription.held) {
      const held = session.held.get(deliveryId);
      session.held.delete(deliveryId);
      if (held !== undefined && held.stored.state === "held") held.stored.state = "ready";
    }
    subscription.held.clear();
  }

  private settle(
    session: FakeSession,
    id: number,
    items: readonly { deliveryId: bigint; action: "ack" | "nack" | "extend"; item?: MessageOf<"Nack">["items"][number] }[],
  ): void {
    const failures: SettleFailure[] = [];
    for (const entry of items) {
      const held = session.held.get(entry.deliveryId);
      if (held === undefined) {
        failures.push({ deliveryId: entry.deliveryId, code: ErrorCode.stale_delivery });
        continue;
      }
      if (entry.action === "extend") continue;
      session.held.delete(entry.deliveryId);
      held.subscription.held.delete(entry.deliveryId);
      const stored = held.stored;
      if (entry.action === "ack") {
        stored.state = "done";
      } else if (entry.item?.requeue === true) {
        if (stored.attempts >= held.subscription.queue.maxRetries + 1) {
          stored.state = "dead";
          this.deadLettered.push({ topic: held.subscription.queue.topic, offset: stored.offset, reason: "retries_exhausted" });
        } else {
          stored.state = "ready";
          const item = entry.item;
          stored.notBeforeMs = item.notBeforeMs !== undefined ? Number(item.notBeforeMs) : item.delayMs !== undefined ? Date.now() + Number(item.delayMs) : 0;
        }
      } else {
        stored.state = "dead";
        this.deadLettered.push({ topic: held.subscription.queue.topic, offset: stored.offset, reason: entry.item?.reason });
      }
    }
    if (id !== 0) session.send({ op: "SettleOk", failures }, id);
    this.dispatch();
  }

  /** Hands ready messages to subscriptions with room, and schedules itself for delayed ones. */
  dispatch(): void {
    const now = Date.now();
    let earliestFuture = Number.POSITIVE_INFINITY;
    let moreToPush = false;
    for (const session of this.openSessions) {
      if (session.hello === undefined) continue;
      for (const subscription of session.subscriptions.values()) {
        const batch: DeliveredMessage[] = [];
        const room = () => (subscription.ackMode === "manual" ? subscription.prefetch - subscription.held.size : subscription.prefetch - batch.length);
        for (const partition of subscription.partitions) {
          for (const stored of subscription.queue.partitions[partition] ?? []) {
            if (room() <= 0) break;
            if (stored.state !== "ready") continue;
            if (stored.notBeforeMs > now) {
              earliestFuture = Math.min(earliestFuture, stored.notBeforeMs);
              continue;
            }
            stored.attempts++;
            const deliveryId = session.allocateDeliveryId();
            if (subscription.ackMode === "manual") {
              stored.state = "held";
              subscription.held.add(deliveryId);
              session.held.set(deliveryId, { stored, subscription });
            } else {
              stored.state = "done";
            }
            batch.push({
              deliveryId,
              partition: stored.partition,
              offset: stored.offset,
              attempt: stored.attempts,
              publishedAtMs: stored.publishedAtMs,
              payload: stored.message.payload,
              ...(stored.message.contentType === undefined ? {} : { contentType: stored.message.contentType }),
              ...(stored.message.headers === undefined ? {} : { headers: stored.message.headers }),
            });
          }
        }
        if (batch.length > 0) session.send({ op: "Deliver", subscriptionId: subscription.id, messages: batch });
        // Auto-ack subscriptions are fed as fast as the socket drains, one frame of at most
        // prefetch messages at a time.
        if (subscription.ackMode === "auto" && batch.length === subscription.prefetch) moreToPush = true;
      }
    }
    if (moreToPush && !this.pushScheduled) {
      this.pushScheduled = true;
      const pending = this.openSessions.find((session) => session.socket.writableNeedDrain);
      const next = (): void => {
        this.pushScheduled = false;
        this.dispatch();
      };
      if (pending === undefined) setImmediate(next);
      else pending.socket.once("drain", next);
    }
    if (this.dispatchTimer !== undefined) clearTimeout(this.dispatchTimer);
    this.dispatchTimer = undefined;
    if (earliestFuture !== Number.POSITIVE_INFINITY) {
      this.dispatchTimer = setTimeout(() => this.dispatch(), Math.max(1, earliestFuture - Date.now()));
      this.dispatchTimer.unref();
    }
  }
}
