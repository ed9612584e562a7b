// The fixed 16-byte frame header: its layout, constants, and reading and writing it.

/** The two magic bytes every frame starts with: ASCII `SN`. */
export const FRAME_MAGIC = 0x534e;

/** The size of a frame header in bytes; the body follows it. */
export const FRAME_HEADER_SIZE = 16;

/** The protocol version this codec encodes bodies in. */
export const PROTOCOL_VERSION = 1;

/** Every protocol version this codec can decode. */
export const SUPPORTED_VERSIONS: readonly number[] = Object.freeze([PROTOCOL_VERSION]);

/** The largest value of the 32-bit `request_id` and `body_length` header fields. */
export const MAX_UINT32 = 0xffff_ffff;

/** The header fields of a frame, other than the magic and the (always zero) reserved bytes. */
export interface FrameHeader {
  /** The protocol version the body is encoded in. */
  readonly version: number;
  /** What the frame is: an opcode from `Opcode`. */
  readonly opcode: number;
  /** Bit field of `FrameFlags`. */
  readonly flags: number;
  /** Correlates a reply with its request; 0 means no reply is wanted. */
  readonly requestId: number;
  /** Length of the body in bytes, not counting the header. */
  readonly bodyLength: number;
}

/** A header as read from the wire, including the parts that must be validated. */
export interface RawFrameHeader extends FrameHeader {
  readonly magic: number;
  readonly reserved: number;
}

/**
 * Reads the 16 header bytes at the start of `bytes` without validating them.
 *
 * @param bytes - at least {@link FRAME_HEADER_SIZE} bytes
 */
export function readFrameHeader(bytes: Uint8Array): RawFrameHeader {
  if (bytes.byteLength < FRAME_HEADER_SIZE) {
    throw new RangeError(`a frame header needs ${FRAME_HEADER_SIZE} bytes, got ${bytes.byteLength}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_SIZE);
  return {
    magic: view.getUint16(0),
    version: view.getUint8(2),
    opcode: view.getUint8(3),
    flags: view.getUint16(4),
    reserved: view.getUint16(6),
    requestId: view.getUint32(8),
    bodyLength: view.getUint32(12),
  };
}

/**
 * Writes a header (magic, the given fields and zero reserved bytes) into the first 16 bytes of
 * `target`. The caller has checked every field's range.
 *
 * @param header - the fields to write
 * @param target - at least {@link FRAME_HEADER_SIZE} bytes
 */
export function writeFrameHeader(header: FrameHeader, target: Uint8Array): void {
  const view = new DataView(target.buffer, target.byteOffset, FRAME_HEADER_SIZE);
  view.setUint16(0, FRAME_MAGIC);
  view.setUint8(2, header.version);
  view.setUint8(3, header.opcode);
  view.setUint16(4, header.flags);
  view.setUint16(6, 0);
  view.setUint32(8, header.requestId);
  view.setUint32(12, header.bodyLength);
}

/** The header without the parts that are fixed, for reporting in errors and frames. */
export function publicHeader(raw: RawFrameHeader): FrameHeader {
  return {
    version: raw.version,
    opcode: raw.opcode,
    flags: raw.flags,
    requestId: raw.requestId,
    bodyLength: raw.bodyLength,
  };
}
