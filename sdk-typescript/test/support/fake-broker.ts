// A frame scripter for engine tests: a net.Server on 127.0.0.1 port 0 that answers the handshake,
// records every frame a client sends, and otherwise says only what a test scripts: a reply to a
// request, a frame pushed on cue, raw bytes, a dropped or refused connection. It keeps no queues,
// messages or settlements. What a real broker can show is tested against the real broker
// (test/broker), behind the fault proxy when it needs a fault; this is for the frames a real
// broker cannot be made to send, the exact frames a client sends, and connection timing.

import { createServer, type Server, type Socket } from "node:net";
import { encodeFrame, type Frame } from "../../src/wire/codec.js";
import type { FrameHeader } from "../../src/wire/frame-header.js";
import { FrameReader } from "../../src/wire/frame-reader.js";
import type { Hello, MessageOf, WireMessage } from "../../src/wire/generated/messages.js";
import type { OpName } from "../../src/wire/generated/opcodes.js";
import { handshakeBytes, helloOk, type HelloOkFields } from "./scripted-replies.js";

/** What a scripted answer sends: a message (framed with the request's id) or raw frame bytes. */
export type Reply = WireMessage | Uint8Array;

/** One frame the broker received. */
export interface ReceivedFrame<M extends WireMessage = WireMessage> {
  readonly session: FakeSession;
  readonly header: FrameHeader;
  readonly message: M;
  /** `performance.now()` on arrival. */
  readonly at: number;
}

/**
 * Answers a frame: a reply or several (sent in order), `[]` to leave it unanswered, or
 * `undefined` to pass it on to the responder registered before this one.
 */
export type Responder<M extends WireMessage> = (frame: ReceivedFrame<M>) => Reply | readonly Reply[] | undefined;

/** How the fake broker is configured. */
export interface FakeBrokerOptions {
  /**
   * The HelloOk to answer with, as fields over the shared vector's. Absent: the fixed bytes of
   * the wire vector `hello-ok/new-session`, with the Hello's request id.
   */
  readonly helloOk?: HelloOkFields | ((frame: ReceivedFrame<Hello>) => HelloOkFields);
}

type AnyResponder = (frame: ReceivedFrame) => Reply | readonly Reply[] | undefined;

/** One client connection to the fake broker. */
export class FakeSession {
  closed = false;
  private readonly reader = new FrameReader({ maxFrameBytes: 16_777_216 });

  constructor(
    readonly broker: FakeBroker,
    readonly socket: Socket,
    /** 1 for the first connection, 2 for the next, and so on. */
    readonly id: number,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
    });
  }

  /** Sends a message to the client, encoded by the package's codec. */
  send(message: WireMessage, requestId = 0, flags = 0): void {
    this.sendBytes(encodeFrame(message, { requestId, flags }));
  }

  /** Sends bytes to the client as they are. */
  sendBytes(bytes: Uint8Array): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(bytes);
  }

  /** Closes the connection abruptly, without a Goodbye. */
  drop(): void {
    this.socket.destroy();
  }

  /** Closes the connection in order, after what was sent. */
  end(): void {
    this.socket.end();
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
  /** Accept connections and close them at once, before any byte is exchanged. */
  refuseConnections = false;

  private readonly responders: { op: OpName; respond: AnyResponder; remaining: number }[] = [];
  private readonly server: Server;

  private constructor(private readonly options: FakeBrokerOptions) {
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
   * Answers frames of `op` with what `respond` returns, for the next `times` frames it answers
   * (every one when omitted). The responder registered last is asked first, so a test can
   * script an exception over a standing answer.
   */
  answer<Op extends OpName>(op: Op, respond: Responder<MessageOf<Op>>, times = Infinity): void {
    this.responders.unshift({ op, respond: respond as AnyResponder, remaining: times });
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

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    for (const session of this.sessions) session.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    this.connectionTimes.push(performance.now());
    if (this.refuseConnections) {
      socket.destroy();
      return;
    }
    this.sessions.push(new FakeSession(this, socket, this.sessions.length + 1));
  }

  /** @internal */
  onFrame(session: FakeSession, frame: Frame): void {
    const received: ReceivedFrame = { session, header: frame.header, message: frame.message, at: performance.now() };
    this.frames.push(received);
    const replies = this.scripted(received) ?? this.standing(received);
    for (const reply of replies) {
      if (reply instanceof Uint8Array) session.sendBytes(reply);
      else session.send(reply, frame.header.requestId);
    }
    // A correct broker closes the connection after an orderly Goodbye.
    if (frame.message.op === "Goodbye" && replies.some((reply) => !(reply instanceof Uint8Array) && reply.op === "Ok")) session.end();
  }

  private scripted(frame: ReceivedFrame): readonly Reply[] | undefined {
    for (const entry of this.responders) {
      if (entry.op !== frame.message.op || entry.remaining <= 0) continue;
      const replies = entry.respond(frame);
      if (replies === undefined) continue;
      entry.remaining--;
      return replies instanceof Uint8Array || !Array.isArray(replies) ? [replies as Reply] : replies;
    }
    return undefined;
  }

  // Unscripted frames get what every broker answers at the connection level; requests about
  // queues stay unanswered until a test scripts their answer.
  private standing(frame: ReceivedFrame): readonly Reply[] {
    switch (frame.message.op) {
      case "Hello": {
        const fields = typeof this.options.helloOk === "function" ? this.options.helloOk(frame as ReceivedFrame<Hello>) : this.options.helloOk;
        return [fields === undefined ? handshakeBytes(frame.header.requestId) : helloOk(fields)];
      }
      case "Ping":
        return [{ op: "Pong" }];
      case "Goodbye":
        return [{ op: "Ok" }];
      default:
        return [];
    }
  }
}
