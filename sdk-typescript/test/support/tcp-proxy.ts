// A TCP proxy between a client and the real broker that sees every frame in both directions and
// can cut a connection at an exact frame: the way tests lose a connection while a request is in
// flight, deterministically.

import { createServer, connect as connectTcp, type Server, type Socket } from "node:net";
import { FRAME_HEADER_SIZE } from "../../src/wire/frame-header.js";
import { opNameOf, type OpName } from "../../src/wire/generated/opcodes.js";

/** What the proxy does with a frame. */
export type FrameVerdict = "forward" | "cut";

/** Decides per frame; `fromClient` tells the direction. */
export type FrameInspector = (op: OpName | undefined, fromClient: boolean) => FrameVerdict;

interface Pair {
  readonly client: Socket;
  readonly broker: Socket;
}

// Splits a byte stream into whole frames by their headers, without decoding bodies.
class FrameSplitter {
  private pending: Buffer<ArrayBufferLike> = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= FRAME_HEADER_SIZE) {
      const total = FRAME_HEADER_SIZE + this.pending.readUInt32BE(12);
      if (this.pending.length < total) break;
      frames.push(this.pending.subarray(0, total));
      this.pending = this.pending.subarray(total);
    }
    return frames;
  }
}

/** A proxy listening on a free loopback port. */
export class TcpProxy {
  /** Decides what happens to each frame; forwards everything by default. */
  inspect: FrameInspector = () => "forward";
  /** Ops seen so far, in order, with their direction. */
  readonly seen: { op: OpName | undefined; fromClient: boolean }[] = [];
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    /** The address clients connect to. */
    readonly address: string,
  ) {}

  /** Starts a proxy to `target` (`host:port`). */
  static async start(target: string): Promise<TcpProxy> {
    const colon = target.lastIndexOf(":");
    const host = target.slice(0, colon);
    const port = Number(target.slice(colon + 1));
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, host, port));
    await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("the proxy has no TCP address");
    proxy = new TcpProxy(server, `127.0.0.1:${address.port}`);
    return proxy;
  }

  /** Connections currently open through the proxy. */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** Cuts every connection at once. */
  cutAll(): void {
    for (const pair of this.pairs) this.cut(pair);
  }

  /** Stops listening and cuts every connection. */
  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolveClose) => this.server.close(() => resolveClose()));
  }

  private accept(client: Socket, host: string, port: number): void {
    const broker = connectTcp({ host, port });
    const pair: Pair = { client, broker };
    this.pairs.add(pair);
    const relay = (from: Socket, to: Socket, fromClient: boolean): void => {
      const splitter = new FrameSplitter();
      from.on("data", (chunk: Buffer) => {
        for (const frame of splitter.push(chunk)) {
          if (!this.pairs.has(pair)) return;
          const op = opNameOf(frame[3] ?? 0);
          this.seen.push({ op, fromClient });
          if (this.inspect(op, fromClient) === "cut") {
            this.cut(pair);
            return;
          }
          to.write(frame);
        }
      });
    };
    relay(client, broker, true);
    relay(broker, client, false);
    for (const socket of [client, broker]) {
      socket.on("error", () => this.cut(pair));
      socket.on("close", () => this.cut(pair));
    }
  }

  private cut(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.broker.destroy();
  }
}
