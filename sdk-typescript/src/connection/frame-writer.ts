// The write path: frames written during one turn of the event loop are corked together and
// leave in a single vectored socket write when the turn ends.

import type { Socket } from "node:net";
import { abortReason } from "../async/abort.js";

/** Writes frames to a socket, coalescing the frames of one turn into few socket writes. */
export class FrameWriter {
  private corked = false;

  /**
   * @param socket - the connection's socket
   * @param onWrite - called after each frame, so the heartbeat knows traffic was sent
   */
  constructor(
    private readonly socket: Socket,
    private readonly onWrite: () => void,
  ) {}

  /** Queues a frame; it is sent when the current turn of the event loop ends. */
  write(frame: Uint8Array): void {
    if (this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(frame);
    this.onWrite();
  }

  /** Whether the socket's buffer is over its high-water mark. */
  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /**
   * Resolves once the socket's buffer has drained below its high-water mark, or the socket
   * closed (the next write then reports the loss).
   */
  whenDrained(signal?: AbortSignal): Promise<void> {
    if (!this.needsDrain || this.socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        reject(abortReason(signal as AbortSignal));
      };
      this.socket.once("drain", done);
      this.socket.once("close", done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };
}
