// A protocol session spoken frame by frame with the wire codec, bypassing the client, for tests
// that check what the broker itself sends against the protocol specification.

import { connect as connectTcp, type Socket } from "node:net";
import { encodeFrame, type Frame } from "../../src/wire/codec.js";
import { FrameReader } from "../../src/wire/frame-reader.js";
import type { HelloOk, WireMessage } from "../../src/wire/generated/messages.js";

/** One raw connection to a broker. */
export class RawSession {
  private readonly reader = new FrameReader({ maxFrameBytes: 1 << 24 });
  private readonly frames: Frame[] = [];
  private readonly waiters: (() => void)[] = [];
  private nextRequestId = 1;
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.reader.push(chunk);
      for (let frame = this.reader.next(); frame !== undefined; frame = this.reader.next()) this.frames.push(frame);
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }

  /**
   * Connects and completes the handshake.
   *
   * @param address - `host:port`
   * @param auth - credentials for `Hello.auth`, if any
   */
  static async open(address: string, auth?: { identity: string; secret: string }): Promise<{ session: RawSession; helloOk: HelloOk }> {
    const colon = address.lastIndexOf(":");
    const socket = connectTcp({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    await new Promise<void>((resolveConnect, reject) => {
      socket.once("connect", resolveConnect);
      socket.once("error", reject);
    });
    const session = new RawSession(socket);
    const reply = await session.request({
      op: "Hello",
      minVersion: 1,
      maxVersion: 1,
      clientName: "raw-session",
      clientVersion: "0",
      ...(auth === undefined ? {} : { auth: { mechanism: "plain" as const, ...auth } }),
    });
    if (reply.message.op !== "HelloOk") throw new Error(`the broker answered Hello with ${reply.message.op}`);
    return { session, helloOk: reply.message };
  }

  /** Sends a frame with a fresh request id and resolves with the frame answering it. */
  async request(message: WireMessage, flags = 0, withinMs = 5000): Promise<Frame> {
    const requestId = this.nextRequestId++;
    this.socket.write(encodeFrame(message, { requestId, flags }));
    return this.waitFor((frame) => frame.header.requestId === requestId, withinMs, `the answer to ${message.op}`);
  }

  /** Sends a frame with request id 0 (no reply wanted). */
  send(message: WireMessage, flags = 0): void {
    this.socket.write(encodeFrame(message, { requestId: 0, flags }));
  }

  /** Takes the first received frame matching `match`, waiting up to `withinMs` for it. */
  async waitFor(match: (frame: Frame) => boolean, withinMs: number, what: string): Promise<Frame> {
    const deadline = performance.now() + withinMs;
    for (;;) {
      const index = this.frames.findIndex(match);
      if (index >= 0) return this.frames.splice(index, 1)[0] as Frame;
      if (this.ended) throw new Error(`the connection closed before ${what} arrived`);
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new Error(`${what} did not arrive within ${withinMs} ms`);
      await new Promise<void>((resolveWake) => {
        const timer = setTimeout(resolveWake, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolveWake();
        });
      });
    }
  }

  /** Closes the socket. */
  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
