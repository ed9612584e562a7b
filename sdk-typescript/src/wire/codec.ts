// Encoding a typed message into a complete frame, and decoding one complete frame, with the
// decode checks applied in the protocol's order of precedence.

import { decodeBody } from "./body-decoder.js";
import { encodeBodyShared } from "./body-encoder.js";
import { FrameDecodeError } from "./decode-error.js";
import {
  FRAME_HEADER_SIZE,
  FRAME_MAGIC,
  MAX_UINT32,
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
  publicHeader,
  readFrameHeader,
  writeFrameHeader,
  type FrameHeader,
  type RawFrameHeader,
} from "./frame-header.js";
import { DEFINED_FLAGS_MASK, allowedFlagsFor } from "./generated/flags.js";
import type { WireMessage } from "./generated/messages.js";
import { opNameOf } from "./generated/opcodes.js";
import { OP_SCHEMAS } from "./schema.js";

/** A decoded frame: its header and its typed message. */
export interface Frame<M extends WireMessage = WireMessage> {
  readonly header: FrameHeader;
  readonly message: M;
}

/** Header fields for {@link encodeFrame}; the opcode and body length follow from the message. */
export interface EncodeFrameOptions {
  /** The request id (default 0: no reply wanted). */
  readonly requestId?: number;
  /** Flag bits, e.g. `FrameFlags.Confirm` (default 0). Only flags allowed on the op are accepted. */
  readonly flags?: number;
  /** The protocol version (default and only supported value: 1). */
  readonly version?: number;
}

/** Limits for decoding. */
export interface DecodeFrameOptions {
  /**
   * The largest body accepted, in bytes: 65 536 before the handshake, then
   * `HelloOk.limits.maxFrameBytes`.
   */
  readonly maxFrameBytes: number;
}

/**
 * Encodes a message as one frame: the 16-byte header followed by the canonical body.
 *
 * @param message - the message; its `op` selects the opcode
 * @param options - request id, flags and version for the header
 * @returns a new buffer holding the whole frame
 * @throws TypeError when the message has a missing field or a value of the wrong type
 * @throws RangeError when a value, the request id or the flags are out of range or not allowed
 */
export function encodeFrame(message: WireMessage, options: EncodeFrameOptions = {}): Uint8Array {
  const op = Object.hasOwn(OP_SCHEMAS, message.op) ? OP_SCHEMAS[message.op] : undefined;
  if (op === undefined) throw new TypeError(`unknown op ${JSON.stringify(message.op)}`);
  const version = options.version ?? PROTOCOL_VERSION;
  const requestId = options.requestId ?? 0;
  const flags = options.flags ?? 0;
  if (!SUPPORTED_VERSIONS.includes(version)) {
    throw new RangeError(`protocol version ${version} is not supported (supported: ${SUPPORTED_VERSIONS.join(", ")})`);
  }
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > MAX_UINT32) {
    throw new RangeError(`request id ${requestId} is not an unsigned 32-bit integer`);
  }
  if (!Number.isInteger(flags) || flags < 0 || (flags & ~allowedFlagsFor(op.name)) !== 0) {
    throw new RangeError(`flags 0x${flags.toString(16)} are not allowed on ${op.name}`);
  }
  const body = encodeBodyShared(op, message);
  if (body.byteLength > MAX_UINT32) throw new RangeError(`the body of ${body.byteLength} bytes is too large for a frame`);
  const frame = new Uint8Array(FRAME_HEADER_SIZE + body.byteLength);
  writeFrameHeader({ version, opcode: op.opcode, flags, requestId, bodyLength: body.byteLength }, frame);
  frame.set(body, FRAME_HEADER_SIZE);
  return frame;
}

/**
 * Decodes exactly one complete frame.
 *
 * @param bytes - the whole frame, header included, and nothing after it
 * @param options - the frame size limit in force
 * @throws FrameDecodeError for the first check the frame fails, in the protocol's order:
 *   `truncated_header`, `bad_magic`, `unsupported_version`, `frame_too_large`,
 *   `truncated_body`, `unknown_opcode`, `bad_flags`, `malformed_body`, `trailing_bytes`,
 *   then field errors
 * @throws RangeError when `bytes` continues past the end of the frame: that is a mistake of the
 *   caller, not of the frame; read a stream of frames with `FrameReader`
 */
export function decodeFrame(bytes: Uint8Array, options: DecodeFrameOptions): Frame {
  checkMaxFrameBytes(options.maxFrameBytes);
  if (bytes.byteLength < FRAME_HEADER_SIZE) {
    throw new FrameDecodeError(
      "truncated_header",
      `a frame header needs ${FRAME_HEADER_SIZE} bytes, the input ended after ${bytes.byteLength}`,
    );
  }
  const header = checkFrameHeader(bytes, options.maxFrameBytes);
  const frameLength = FRAME_HEADER_SIZE + header.bodyLength;
  if (bytes.byteLength < frameLength) {
    throw new FrameDecodeError(
      "truncated_body",
      `the header announces ${header.bodyLength} body bytes, the input ended after ${bytes.byteLength - FRAME_HEADER_SIZE}`,
      { header: publicHeader(header) },
    );
  }
  if (bytes.byteLength > frameLength) {
    throw new RangeError(
      `the input continues ${bytes.byteLength - frameLength} byte(s) past the end of the frame; decodeFrame takes exactly one frame`,
    );
  }
  return decodeFrameBody(header, bytes.subarray(FRAME_HEADER_SIZE, frameLength));
}

/**
 * Reads the header at the start of `bytes` and applies the checks that need only the header:
 * magic, version and size limit, in that order.
 *
 * @param bytes - at least {@link FRAME_HEADER_SIZE} bytes
 * @param maxFrameBytes - the largest body accepted
 * @throws FrameDecodeError `bad_magic`, `unsupported_version` or `frame_too_large`
 */
export function checkFrameHeader(bytes: Uint8Array, maxFrameBytes: number): RawFrameHeader {
  const header = readFrameHeader(bytes);
  if (header.magic !== FRAME_MAGIC) {
    throw new FrameDecodeError(
      "bad_magic",
      `the frame does not start with the magic bytes 53 4e, got ${hexByte(header.magic >> 8)} ${hexByte(header.magic & 0xff)}`,
    );
  }
  if (!SUPPORTED_VERSIONS.includes(header.version)) {
    throw new FrameDecodeError("unsupported_version", `protocol version ${header.version} is not supported`, {
      header: publicHeader(header),
    });
  }
  if (header.bodyLength > maxFrameBytes) {
    throw new FrameDecodeError(
      "frame_too_large",
      `the body length ${header.bodyLength} exceeds the limit of ${maxFrameBytes} bytes`,
      { header: publicHeader(header) },
    );
  }
  return header;
}

/**
 * Decodes a complete frame whose header already passed {@link checkFrameHeader}: the opcode,
 * flags, body structure and fields, in that order.
 *
 * @param header - the frame's header
 * @param body - exactly `header.bodyLength` bytes
 */
export function decodeFrameBody(header: RawFrameHeader, body: Uint8Array): Frame {
  const frameHeader = publicHeader(header);
  const opName = opNameOf(header.opcode);
  if (opName === undefined) {
    throw new FrameDecodeError("unknown_opcode", `opcode 0x${hexByte(header.opcode)} is not defined`, {
      header: frameHeader,
    });
  }
  if (header.reserved !== 0) {
    throw new FrameDecodeError("bad_flags", `the reserved header bytes must be zero, got 0x${header.reserved.toString(16)}`, {
      header: frameHeader,
    });
  }
  if ((header.flags & ~DEFINED_FLAGS_MASK) !== 0) {
    throw new FrameDecodeError("bad_flags", `undefined flag bits 0x${(header.flags & ~DEFINED_FLAGS_MASK).toString(16)}`, {
      header: frameHeader,
    });
  }
  if ((header.flags & ~allowedFlagsFor(opName)) !== 0) {
    throw new FrameDecodeError("bad_flags", `flags 0x${header.flags.toString(16)} are not allowed on ${opName}`, {
      header: frameHeader,
    });
  }
  const message = decodeBody(OP_SCHEMAS[opName], body, frameHeader);
  return { header: frameHeader, message };
}

/**
 * Checks a frame size limit given by a caller.
 *
 * @throws RangeError unless it is an integer from 0 to 2^32 - 1
 */
export function checkMaxFrameBytes(maxFrameBytes: number): void {
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > MAX_UINT32) {
    throw new RangeError(`maxFrameBytes must be an integer from 0 to ${MAX_UINT32}, got ${maxFrameBytes}`);
  }
}

function hexByte(value: number): string {
  return value.toString(16).padStart(2, "0");
}
