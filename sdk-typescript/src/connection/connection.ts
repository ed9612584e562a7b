// The connection engine: one TCP connection to one broker. It performs the handshake,
// correlates replies with requests by request id (with timeouts), keeps the heartbeat, routes
// pushed frames (deliveries, subscription ends, topology, drain notices) from its read loop, and
// closes. It never reconnects; the client replaces a connection that ended.

import { connect as connectTcp, type Socket } from "node:net";
import { abortReason } from "../async/abort.js";
import { ClientClosedError } from "../errors/client-closed-error.js";
import { ConnectionError } from "../errors/connection-error.js";
import { ConnectionLostError } from "../errors/connection-lost-error.js";
import { InvalidArgumentError } from "../errors/invalid-argument-error.js";
import { OperationTimeoutError } from "../errors/operation-timeout-error.js";
import { ProtocolError } from "../errors/protocol-error.js";
import type { SinewError } from "../errors/sinew-error.js";
import { encodeFrame, type Frame } from "../wire/codec.js";
import { FrameDecodeError } from "../wire/decode-error.js";
import { FRAME_HEADER_SIZE, PROTOCOL_VERSION } from "../wire/frame-header.js";
import { FrameReader } from "../wire/frame-reader.js";
import { ProtocolLimits } from "../wire/generated/limits.js";
import type { GoingAway, HelloOk, Topology, WireMessage } from "../wire/generated/messages.js";
import type { ConnectionSettings, RequestOptions } from "./connection-settings.js";
import { formatEndpoint, type Endpoint } from "./endpoint.js";
import { FrameWriter } from "./frame-writer.js";
import { Heartbeat } from "./heartbeat.js";
import { brokerErrorOf, CLIENT_OPS_FROM_BROKER, describeBytes, messageOf } from "./peer-output.js";
import { REPLY_OP, type ReplyTo, type RequestOp } from "./replies.js";
import { RequestTable } from "./request-table.js";
import { maxListItemsOf, sessionInfoOf, type SessionInfo } from "./session-info.js";
import { SettlementBatcher } from "./settlement-batcher.js";
import type { SubscriptionSink } from "./subscription-sink.js";

/** Frames and events a connection hands to its owner. Each runs on the read loop and must not block. */
export interface ConnectionEvents {
  /** The broker pushed a new topology (request id 0); the connection has acknowledged it. */
  topology(connection: Connection, topology: Topology): void;
  /** The broker announced it will close connections. */
  goingAway(connection: Connection, notice: GoingAway): void;
  /** An error tied to no waiting request: a failed unconfirmed publish, or a fatal error before a close. */
  unsolicitedError(connection: Connection, error: SinewError): void;
  /** The connection ended after its handshake; `cause` says why. Called once. */
  closed(connection: Connection, cause: SinewError, byClient: boolean): void;
}

type State = "handshaking" | "open" | "closing" | "closed";

/** One connection to one broker. Create it with {@link Connection.open}. */
export class Connection {
  /** The address this connection reached. */
  readonly endpoint: Endpoint;
  /** Settlements issued on this connection, coalesced per turn of the event loop. */
  readonly settlements: SettlementBatcher;

  private state: State = "handshaking";
  private readonly socket: Socket;
  private readonly reader = new FrameReader({ maxFrameBytes: ProtocolLimits.handshakeMaxFrameBytes });
  private readonly writer: FrameWriter;
  private readonly requests = new RequestTable();
  private readonly sinks = new Map<bigint, SubscriptionSink>();
  private readonly readPausedBy = new Set<object>();
  private socketPaused = false;
  private heartbeat: Heartbeat | undefined;
  private session: SessionInfo | undefined;
  private closedByClient = false;
  private closeCause: SinewError | undefined;
  private fatalError: SinewError | undefined;
  private firstBytes: Uint8Array | undefined;
  private handshakeSettled = false;
  private resolveHandshake: (info: SessionInfo) => void = () => undefined;
  private rejectHandshake: (error: unknown) => void = () => undefined;
  private readonly handshake: Promise<SessionInfo>;
  private readonly closedPromise: Promise<void>;
  private resolveClosed: () => void = () => undefined;

  private constructor(
    endpoint: Endpoint,
    private readonly settings: ConnectionSettings,
    private readonly events: ConnectionEvents,
  ) {
    this.endpoint = endpoint;
    this.handshake = new Promise<SessionInfo>((resolve, reject) => {
      this.resolveHandshake = resolve;
      this.rejectHandshake = reject;
    });
    this.closedPromise = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    this.socket = connectTcp({ host: endpoint.host, port: endpoint.port });
    this.socket.setNoDelay(true);
    this.writer = new FrameWriter(this.socket, () => this.heartbeat?.noteSent());
    this.settlements = new SettlementBatcher(
      (message) =>
        this.request(message, { context: { operation: message.op === "Ack" ? "ack" : message.op === "Nack" ? "nack" : "extendLease" } }),
      () => maxListItemsOf(this.session?.limits),
    );
    this.socket.on("data", this.onData);
    this.socket.on("error", this.onSocketError);
    this.socket.on("close", this.onSocketClose);
  }

  /**
   * Connects to one endpoint and completes the handshake.
   *
   * @throws ConnectionError when the endpoint cannot be reached, the handshake times out, or the
   *   peer is not a Sinew broker
   * @throws BrokerError when the broker refuses the handshake (`unauthorized`, `protocol_mismatch`)
   * @throws ProtocolError when the broker's answer breaks the protocol
   */
  static async open(
    endpoint: Endpoint,
    settings: ConnectionSettings,
    events: ConnectionEvents,
    signal?: AbortSignal,
  ): Promise<Connection> {
    if (signal?.aborted === true) throw abortReason(signal);
    const connection = new Connection(endpoint, settings, events);
    const timer = setTimeout(() => {
      connection.failHandshake(
        new ConnectionError(
          `${formatEndpoint(endpoint)} did not complete the handshake within ${settings.connectTimeoutMs} ms (connectTimeoutMs); check that a Sinew broker listens there`,
        ),
      );
    }, settings.connectTimeoutMs);
    timer.unref();
    const onAbort = (): void => connection.failHandshake(abortReason(signal as AbortSignal));
    signal?.addEventListener("abort", onAbort, { once: true });
    connection.sendHello({
      op: "Hello",
      minVersion: PROTOCOL_VERSION,
      maxVersion: PROTOCOL_VERSION,
      clientName: settings.clientName,
      clientVersion: settings.clientVersion,
      ...(settings.auth === undefined ? {} : { auth: settings.auth }),
      heartbeatMs: BigInt(settings.heartbeatMs),
    });
    try {
      await connection.handshake;
      return connection;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** What the broker said about this session. */
  get info(): SessionInfo {
    if (this.session === undefined) throw new Error("the handshake has not completed");
    return this.session;
  }

  /** Whether requests can be sent. */
  get isOpen(): boolean {
    return this.state === "open";
  }

  /** Resolves once the connection has ended. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  /**
   * Sends a request and resolves with its reply.
   *
   * @throws InvalidArgumentError when the frame cannot be encoded or exceeds the frame size limit
   * @throws BrokerError when the broker answers with an error
   * @throws OperationTimeoutError when no reply arrives within the request timeout
   * @throws ConnectionLostError when the connection is not open or drops first
   * @throws ClientClosedError when the client is closing
   * @throws ProtocolError when the broker answers with the wrong kind of reply
   */
  request<Op extends RequestOp>(
    message: Extract<WireMessage, { op: Op }>,
    options: RequestOptions = {},
  ): Promise<ReplyTo<Op>> {
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    const unusable = this.unusableError();
    if (unusable !== undefined) return Promise.reject(unusable);
    const id = this.requests.allocate();
    let frame: Uint8Array;
    try {
      frame = this.encode(message, id, options.flags ?? 0);
    } catch (error) {
      return Promise.reject(error);
    }
    const op = (message as WireMessage).op as Op;
    return new Promise<ReplyTo<Op>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.forget(id);
        this.updateReading();
        signal?.removeEventListener("abort", onAbort);
        reject(
          new OperationTimeoutError(
            `the broker did not answer ${op} within ${this.settings.requestTimeoutMs} ms (requestTimeoutMs); it may still take effect`,
            { timeoutMs: this.settings.requestTimeoutMs },
          ),
        );
      }, this.settings.requestTimeoutMs);
      timer.unref();
      const onAbort = (): void => {
        clearTimeout(timer);
        this.requests.forget(id);
        this.updateReading();
        reject(abortReason(signal as AbortSignal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.requests.add(id, {
        op,
        expect: REPLY_OP[op],
        context: options.context ?? {},
        onReply: options.onReply,
        resolve: resolve as (reply: WireMessage) => void,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      });
      this.writer.write(frame);
      // A paused socket holds back replies: read again until this one has arrived.
      this.updateReading();
    });
  }

  /**
   * Throws what a request would fail with now, when the connection cannot send one.
   *
   * @throws ConnectionLostError or ClientClosedError when the connection is not open
   */
  assertUsable(): void {
    const unusable = this.unusableError();
    if (unusable !== undefined) throw unusable;
  }

  /**
   * Sends a frame that wants no reply (request id 0).
   *
   * @throws InvalidArgumentError when the frame cannot be encoded or exceeds the frame size limit
   * @throws ConnectionLostError or ClientClosedError when the connection is not open
   */
  send(message: WireMessage, flags = 0): void {
    const unusable = this.unusableError();
    if (unusable !== undefined) throw unusable;
    this.writer.write(this.encode(message, 0, flags));
  }

  /** Resolves when the socket can take more data without growing its buffer past its high-water mark. */
  whenWritable(signal?: AbortSignal): Promise<void> {
    return this.writer.whenDrained(signal);
  }

  /** Routes a broker subscription's pushed frames to a sink. */
  addSink(subscriptionId: bigint, sink: SubscriptionSink): void {
    this.sinks.set(subscriptionId, sink);
  }

  /** Stops routing a broker subscription's frames; later frames for it are dropped. */
  removeSink(subscriptionId: bigint): void {
    this.sinks.delete(subscriptionId);
  }

  /**
   * Stops reading from the socket while any holder asks for it, so a consumer slower than the
   * broker's pushes is not buffered without bound. Reading goes on regardless while a request
   * awaits its reply: the reply can only be reached by reading what the broker sent before it,
   * and holding it back would stall the caller, who may be the very consumer that is behind.
   */
  pauseReading(holder: object): void {
    if (this.state === "closed") return;
    this.readPausedBy.add(holder);
    this.updateReading();
  }

  /** Withdraws a holder's request to stop reading. */
  resumeReading(holder: object): void {
    if (!this.readPausedBy.delete(holder)) return;
    this.updateReading();
  }

  // Pauses the socket when some holder asks for it and no request awaits a reply; resumes it
  // otherwise.
  private updateReading(): void {
    if (this.state === "closed") return;
    const pause = this.readPausedBy.size > 0 && this.requests.size === 0;
    if (pause === this.socketPaused) return;
    this.socketPaused = pause;
    if (pause) {
      this.socket.pause();
      this.heartbeat?.setPaused(true);
    } else {
      this.heartbeat?.setPaused(false);
      this.socket.resume();
    }
  }

  /**
   * Starts a clean close: sends `Goodbye` listing the deliveries `handedOut` to the application
   * and resolves when the broker answers `Ok`, the connection ends, `timeoutMs` passes, or
   * `cutShort` aborts. New requests fail with `ClientClosedError` from now on; replies to
   * earlier ones are still delivered until {@link Connection.destroy}.
   */
  async goodbye(handedOut: bigint[], timeoutMs: number, cutShort?: AbortSignal): Promise<void> {
    if (this.state !== "open") return;
    this.settlements.flush();
    const answered = this.request({ op: "Goodbye", handedOut }, { context: { operation: "close" } });
    this.state = "closing";
    this.closedByClient = true;
    let timer: NodeJS.Timeout | undefined;
    let onCut: (() => void) | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      onCut = (): void => resolve();
      if (cutShort?.aborted === true) resolve();
      else cutShort?.addEventListener("abort", onCut, { once: true });
    });
    await Promise.race([answered.catch(() => undefined), this.closedPromise, bound]);
    clearTimeout(timer);
    if (onCut !== undefined) cutShort?.removeEventListener("abort", onCut);
  }

  /**
   * Ends the connection at once: destroys the socket, stops the heartbeat, fails every waiting
   * request and tells every sink.
   *
   * @param cause - why; a {@link ClientClosedError} marks a close by the client
   */
  destroy(cause: SinewError): void {
    if (cause instanceof ClientClosedError) this.closedByClient = true;
    this.finish(cause);
  }

  // ------------------------------------------------------------------------------------------
  // Read loop
  // ------------------------------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    this.heartbeat?.noteReceived();
    if (this.state === "handshaking" && this.firstBytes === undefined) this.firstBytes = chunk.subarray(0, 16);
    try {
      this.reader.push(chunk);
    } catch (error) {
      this.onDecodeFailure(error);
      return;
    }
    for (;;) {
      if (this.state === "closed") return;
      let frame: Frame | undefined;
      try {
        frame = this.reader.next();
      } catch (error) {
        if (error instanceof FrameDecodeError && error.kind === "unknown_opcode") continue;
        this.onDecodeFailure(error);
        return;
      }
      if (frame === undefined) return;
      if (this.state === "handshaking") this.onHandshakeFrame(frame);
      else this.onFrame(frame);
    }
  };

  private onDecodeFailure(error: unknown): void {
    if (this.state === "handshaking") {
      if (error instanceof FrameDecodeError && error.kind === "bad_magic") {
        this.failHandshake(
          new ConnectionError(
            `${formatEndpoint(this.endpoint)} is not a Sinew broker: it answered with ${describeBytes(this.firstBytes)}; check the address and port`,
            { cause: error },
          ),
        );
      } else {
        this.failHandshake(new ProtocolError(`the broker's answer to Hello could not be decoded: ${messageOf(error)}`, { cause: error }));
      }
      return;
    }
    this.finish(new ProtocolError(`the broker sent a frame that could not be decoded: ${messageOf(error)}`, { cause: error }));
  }

  private onHandshakeFrame(frame: Frame): void {
    const message = frame.message;
    if (message.op === "HelloOk") {
      this.completeHandshake(message);
    } else if (message.op === "Error") {
      this.failHandshake(brokerErrorOf(message, { operation: "connect" }));
    } else {
      this.failHandshake(new ProtocolError(`the broker answered Hello with ${message.op} instead of HelloOk`));
    }
  }

  private completeHandshake(helloOk: HelloOk): void {
    if (helloOk.version !== PROTOCOL_VERSION) {
      this.failHandshake(
        new ProtocolError(`the broker chose protocol version ${helloOk.version}, outside the offered range 1..1`),
      );
      return;
    }
    this.session = sessionInfoOf(helloOk);
    const heartbeatMs = this.session.heartbeatMs;
    this.reader.maxFrameBytes = helloOk.limits.maxFrameBytes;
    this.state = "open";
    this.handshakeSettled = true;
    this.heartbeat = new Heartbeat(heartbeatMs, {
      ping: () => {
        if (this.state === "open") this.writer.write(encodeFrame({ op: "Ping" }, { requestId: this.requests.allocate() }));
      },
      dead: (silentMs) =>
        this.finish(new ConnectionLostError(`nothing arrived from the broker for ${silentMs} ms (three heartbeat intervals); the connection is dead`, { endpoint: formatEndpoint(this.endpoint) })),
    });
    this.heartbeat.start();
    this.resolveHandshake(this.session);
  }

  private failHandshake(error: unknown): void {
    if (this.handshakeSettled) return;
    this.handshakeSettled = true;
    this.state = "closed";
    this.socket.destroy();
    this.rejectHandshake(error);
    this.resolveClosed();
  }

  private onFrame(frame: Frame): void {
    const { message, header } = frame;
    switch (message.op) {
      case "Ping":
        if (this.state !== "closed") this.writer.write(encodeFrame({ op: "Pong" }, { requestId: header.requestId }));
        return;
      case "Deliver":
        this.sinks.get(message.subscriptionId)?.deliver(message.messages);
        return;
      case "SubscriptionClosed": {
        const sink = this.sinks.get(message.subscriptionId);
        this.sinks.delete(message.subscriptionId);
        sink?.closedByBroker(message.reason, message.message);
        return;
      }
      case "AssignmentChanged":
        // Consumer groups are not offered by this client, so no subscription can receive this.
        return;
      case "GoingAway":
        this.events.goingAway(this, message);
        return;
      case "Topology":
        if (header.requestId === 0) {
          if (this.state === "open") this.send({ op: "TopologyAck", generation: message.generation });
          this.events.topology(this, message);
          return;
        }
        break;
      case "Error":
        if (!this.requests.has(header.requestId)) {
          const error = brokerErrorOf(message, {});
          // An error with id 0 that closes the connection explains the close that follows.
          if (header.requestId === 0) this.fatalError = error;
          this.events.unsolicitedError(this, error);
          return;
        }
        break;
      default:
        if (CLIENT_OPS_FROM_BROKER.has(message.op)) {
          this.events.unsolicitedError(this, new ProtocolError(`the broker sent ${message.op}, which only clients send`));
          return;
        }
    }
    this.onReply(header.requestId, message);
  }

  private onReply(requestId: number, message: WireMessage): void {
    const request = this.requests.take(requestId);
    // A reply nobody waits for answers a request that timed out or was abandoned.
    if (request === undefined) return;
    this.updateReading();
    if (message.op === "Error") {
      request.reject(brokerErrorOf(message, request.context));
    } else if (message.op === request.expect) {
      try {
        request.onReply?.(message);
      } finally {
        request.resolve(message);
      }
    } else {
      request.reject(new ProtocolError(`the broker answered ${request.op} with ${message.op} instead of ${request.expect}`));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Writing and ending
  // ------------------------------------------------------------------------------------------

  // Hello takes the first request id; its answer is matched by the handshake state, not the table.
  private sendHello(hello: Extract<WireMessage, { op: "Hello" }>): void {
    this.writer.write(this.encode(hello, this.requests.allocate(), 0));
  }

  private encode(message: WireMessage, requestId: number, flags: number): Uint8Array {
    let frame: Uint8Array;
    try {
      frame = encodeFrame(message, { requestId, flags });
    } catch (error) {
      throw new InvalidArgumentError("message", `the ${message.op} frame could not be encoded: ${messageOf(error)}`, { reason: "not_encodable", cause: error });
    }
    const limit = this.session?.limits.maxFrameBytes ?? ProtocolLimits.handshakeMaxFrameBytes;
    const bodyLength = frame.byteLength - FRAME_HEADER_SIZE;
    if (bodyLength > limit) {
      throw new InvalidArgumentError(
        "payload",
        `the ${message.op} frame body is ${bodyLength} bytes, over the broker's limit of ${limit} bytes; shrink the payload or split the batch`,
        { reason: "frame_too_large" },
      );
    }
    return frame;
  }

  private unusableError(): SinewError | undefined {
    switch (this.state) {
      case "open":
        return undefined;
      case "closing":
        return new ClientClosedError("the client is closing");
      default:
        return this.closedByClient
          ? new ClientClosedError("the client was closed")
          : new ConnectionLostError(`the connection to ${formatEndpoint(this.endpoint)} was lost`, { cause: this.closeCause, endpoint: formatEndpoint(this.endpoint) });
    }
  }

  private readonly onSocketError = (error: Error): void => {
    if (this.state === "handshaking") {
      this.failHandshake(new ConnectionError(`could not connect to ${formatEndpoint(this.endpoint)}: ${error.message}`, { cause: error }));
      return;
    }
    this.finish(new ConnectionLostError(`the connection to ${formatEndpoint(this.endpoint)} failed: ${error.message}`, { cause: error, endpoint: formatEndpoint(this.endpoint) }));
  };

  private readonly onSocketClose = (): void => {
    if (this.state === "handshaking") {
      const answer = this.fatalError;
      this.failHandshake(
        answer ??
          new ConnectionError(
            `${formatEndpoint(this.endpoint)} closed the connection before completing the handshake; check that it is a Sinew broker`,
          ),
      );
      return;
    }
    const because = this.fatalError === undefined ? "" : `: ${this.fatalError.message}`;
    this.finish(
      new ConnectionLostError(`the broker at ${formatEndpoint(this.endpoint)} closed the connection${because}`, {
        cause: this.fatalError,
        endpoint: formatEndpoint(this.endpoint),
      }),
    );
  };

  private finish(cause: SinewError): void {
    if (this.state === "closed") return;
    const wasHandshaking = this.state === "handshaking";
    this.state = "closed";
    this.closeCause = cause;
    this.heartbeat?.stop();
    this.socket.destroy();
    if (wasHandshaking) {
      this.handshakeSettled = true;
      this.rejectHandshake(cause);
      this.resolveClosed();
      return;
    }
    const byClient = this.closedByClient;
    this.requests.rejectAll((request) =>
      byClient
        ? new ClientClosedError(`the client was closed before the broker answered ${request.op}`)
        : new ConnectionLostError(`the connection was lost before the broker answered ${request.op}; it is not retried`, { cause, endpoint: formatEndpoint(this.endpoint) }),
    );
    // Settlements collected but not yet sent fail the same way as the frames in flight.
    this.settlements.flush();
    const sinks = [...this.sinks.values()];
    this.sinks.clear();
    for (const sink of sinks) sink.connectionEnded(cause, byClient);
    this.readPausedBy.clear();
    this.resolveClosed();
    this.events.closed(this, cause, byClient);
  }
}
