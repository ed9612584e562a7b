// A streaming frame reader: accepts bytes as they arrive from a connection and yields complete
// frames, rejecting a bad header as soon as its 16 bytes are in.

import { checkFrameHeader, checkMaxFrameBytes, decodeFrameBody, type Frame } from "./codec.js";
import { FrameDecodeError } from "./decode-error.js";
import { FRAME_HEADER_SIZE, publicHeader } from "./frame-header.js";

/** Options of a {@link FrameReader}. */
export interface FrameReaderOptions {
  /**
   * The largest body accepted, in bytes: 65 536 before the handshake, then
   * `HelloOk.limits.maxFrameBytes`. It can be changed later with
   * {@link FrameReader.maxFrameBytes}.
   */
  readonly maxFrameBytes: number;
}

const INITIAL_CAPACITY = 4096;
// An idle reader gives back a buffer grown past this size for one large frame.
const RETAINED_CAPACITY = 1 << 20;

/**
 * Splits a byte stream into frames.
 *
 * Call {@link FrameReader.push} with each chunk received, then {@link FrameReader.next} until it
 * returns `undefined`; call {@link FrameReader.end} when the connection has ended.
 *
 * Errors follow the protocol's decoding rules:
 * - A header that fails the checks needing only the header (`bad_magic`,
 *   `unsupported_version`, `frame_too_large`) is reported as soon as its 16 bytes are in,
 *   without waiting for the body. The stream cannot be resynchronised after that: every later
 *   call throws the same error.
 * - Any other error concerns one complete frame, which has been consumed by the time the error
 *   is thrown, so reading may go on with the next frame (as it must after `unknown_opcode`).
 */
export class FrameReader {
  private buffer = new Uint8Array(INITIAL_CAPACITY);
  private readOffset = 0;
  private writeOffset = 0;
  private failure: FrameDecodeError | undefined;
  private limit: number;

  /** @param options - the frame size limit in force */
  constructor(options: FrameReaderOptions) {
    checkMaxFrameBytes(options.maxFrameBytes);
    this.limit = options.maxFrameBytes;
  }

  /** The largest body accepted, in bytes. */
  get maxFrameBytes(): number {
    return this.limit;
  }

  set maxFrameBytes(value: number) {
    checkMaxFrameBytes(value);
    this.limit = value;
  }

  /** How many received bytes have not yet been returned as frames. */
  get bufferedBytes(): number {
    return this.writeOffset - this.readOffset;
  }

  /**
   * Appends received bytes. The chunk is copied, so the caller may reuse it.
   *
   * @param chunk - the next bytes of the stream
   * @throws FrameDecodeError the earlier header error, if the stream is already broken
   */
  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    if (chunk.byteLength === 0) return;
    this.reserve(chunk.byteLength);
    this.buffer.set(chunk, this.writeOffset);
    this.writeOffset += chunk.byteLength;
  }

  /**
   * The next complete frame, or `undefined` when more bytes are needed.
   *
   * @throws FrameDecodeError when the next frame is invalid (see the class description)
   */
  next(): Frame | undefined {
    if (this.failure !== undefined) throw this.failure;
    const available = this.writeOffset - this.readOffset;
    if (available < FRAME_HEADER_SIZE) return undefined;
    const pending = this.buffer.subarray(this.readOffset, this.writeOffset);
    let header;
    try {
      header = checkFrameHeader(pending, this.limit);
    } catch (error) {
      if (error instanceof FrameDecodeError) this.failure = error;
      throw error;
    }
    const frameLength = FRAME_HEADER_SIZE + header.bodyLength;
    if (available < frameLength) return undefined;
    const body = pending.subarray(FRAME_HEADER_SIZE, frameLength);
    this.consume(frameLength);
    // The body's bytes stay in place until the next push; the decoded message copies what it
    // keeps, so it never aliases this buffer.
    return decodeFrameBody(header, body);
  }

  /**
   * Declares that the stream has ended, so a partly received frame can never complete.
   *
   * @throws FrameDecodeError `truncated_header` or `truncated_body` when a partial frame is
   *   buffered, or the earlier header error if the stream is already broken
   */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    const available = this.writeOffset - this.readOffset;
    if (available === 0) return;
    if (available < FRAME_HEADER_SIZE) {
      throw new FrameDecodeError(
        "truncated_header",
        `the stream ended ${available} bytes into a frame header of ${FRAME_HEADER_SIZE}`,
      );
    }
    const header = checkFrameHeader(this.buffer.subarray(this.readOffset, this.writeOffset), this.limit);
    throw new FrameDecodeError(
      "truncated_body",
      `the stream ended ${available - FRAME_HEADER_SIZE} bytes into a body of ${header.bodyLength}`,
      { header: publicHeader(header) },
    );
  }

  private consume(length: number): void {
    this.readOffset += length;
    if (this.readOffset === this.writeOffset) {
      this.readOffset = 0;
      this.writeOffset = 0;
      if (this.buffer.byteLength > RETAINED_CAPACITY) this.buffer = new Uint8Array(INITIAL_CAPACITY);
    }
  }

  // Makes room for `incoming` more bytes. Unread bytes are moved to the front only when that
  // frees at least half the buffer, and otherwise the buffer at least doubles, so a writer
  // pushing one byte at a time costs amortised constant time per byte.
  private reserve(incoming: number): void {
    if (this.writeOffset + incoming <= this.buffer.byteLength) return;
    const unread = this.writeOffset - this.readOffset;
    const needed = unread + incoming;
    if (needed <= this.buffer.byteLength && this.readOffset >= this.buffer.byteLength / 2) {
      this.buffer.copyWithin(0, this.readOffset, this.writeOffset);
    } else {
      const grown = new Uint8Array(Math.max(needed, this.buffer.byteLength * 2));
      grown.set(this.buffer.subarray(this.readOffset, this.writeOffset));
      this.buffer = grown;
    }
    this.readOffset = 0;
    this.writeOffset = unread;
  }
}
