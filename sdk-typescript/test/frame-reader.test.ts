// Behaviour of the streaming FrameReader beyond reading single vectors: what happens after an
// error, changing the size limit, the end of the stream, and ownership of buffers.

import { describe, expect, it } from "vitest";
import { FrameDecodeError } from "../src/wire/decode-error.js";
import { FRAME_HEADER_SIZE, readFrameHeader } from "../src/wire/frame-header.js";
import { FrameReader } from "../src/wire/frame-reader.js";
import { fromHex } from "./support/bytes.js";
import { frameVectorById, isPositive, loadFrameFiles } from "./support/vector-files.js";
import { messageFromJson } from "./support/vector-json.js";

const TIMEOUT_MS = 10_000;
const files = loadFrameFiles();
const LIMIT = 16 * 1024 * 1024;

function vectorBytes(id: string): Uint8Array {
  const { vector } = frameVectorById(id, files);
  return fromHex(vector.hex);
}

function expectedMessage(id: string) {
  const { vector } = frameVectorById(id, files);
  if (!isPositive(vector)) throw new Error(`${id} is not positive`);
  return messageFromJson(vector.op, vector.fields);
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("FrameReader", () => {
  it("goes on with the next frame after an unknown opcode, whose body it skips", () => {
    const reader = new FrameReader({ maxFrameBytes: LIMIT });
    reader.push(new Uint8Array([...vectorBytes("negative/unknown-opcode/unassigned"), ...vectorBytes("ping/basic")]));
    const error = thrownBy(() => reader.next());
    expect(error).toBeInstanceOf(FrameDecodeError);
    expect((error as FrameDecodeError).kind).toBe("unknown_opcode");
    expect(reader.next()?.message).toEqual({ op: "Ping" });
    expect(reader.next()).toBeUndefined();
  }, TIMEOUT_MS);

  it("has consumed a frame with a body error by the time it reports it", () => {
    const reader = new FrameReader({ maxFrameBytes: LIMIT });
    reader.push(new Uint8Array([...vectorBytes("negative/wrong-type/topic-is-int"), ...vectorBytes("pong/basic")]));
    expect((thrownBy(() => reader.next()) as FrameDecodeError).kind).toBe("wrong_type");
    expect(reader.next()?.message).toEqual({ op: "Pong" });
  }, TIMEOUT_MS);

  it("stays failed after a bad header, since the stream cannot be resynchronised", () => {
    const reader = new FrameReader({ maxFrameBytes: LIMIT });
    reader.push(vectorBytes("negative/bad-magic/http-request"));
    const first = thrownBy(() => reader.next());
    expect((first as FrameDecodeError).kind).toBe("bad_magic");
    expect(thrownBy(() => reader.next())).toBe(first);
    expect(thrownBy(() => reader.push(vectorBytes("ping/basic")))).toBe(first);
    expect(thrownBy(() => reader.end())).toBe(first);
  }, TIMEOUT_MS);

  it("applies a changed size limit to a header that has not completed yet", () => {
    const frame = vectorBytes("publish/minimal-unconfirmed");
    const bodyLength = readFrameHeader(frame).bodyLength;

    const strict = new FrameReader({ maxFrameBytes: bodyLength - 1 });
    strict.push(frame);
    expect((thrownBy(() => strict.next()) as FrameDecodeError).kind).toBe("frame_too_large");

    const raised = new FrameReader({ maxFrameBytes: bodyLength - 1 });
    raised.push(frame.subarray(0, FRAME_HEADER_SIZE - 1));
    raised.maxFrameBytes = bodyLength;
    raised.push(frame.subarray(FRAME_HEADER_SIZE - 1));
    expect(raised.next()?.message).toEqual(expectedMessage("publish/minimal-unconfirmed"));
  }, TIMEOUT_MS);

  it("refuses a size limit that is not an unsigned 32-bit integer", () => {
    expect(() => new FrameReader({ maxFrameBytes: -1 })).toThrow(RangeError);
    const reader = new FrameReader({ maxFrameBytes: LIMIT });
    expect(() => {
      reader.maxFrameBytes = 2 ** 32;
    }).toThrow(RangeError);
    expect(reader.maxFrameBytes).toBe(LIMIT);
  }, TIMEOUT_MS);

  it("ends quietly between frames and reports a partial header or body at the end", () => {
    const frame = vectorBytes("ping/basic");
    const clean = new FrameReader({ maxFrameBytes: LIMIT });
    clean.push(frame);
    clean.next();
    expect(() => clean.end()).not.toThrow();

    const inHeader = new FrameReader({ maxFrameBytes: LIMIT });
    inHeader.push(frame.subarray(0, 5));
    expect(inHeader.next()).toBeUndefined();
    expect((thrownBy(() => inHeader.end()) as FrameDecodeError).kind).toBe("truncated_header");

    const inBody = new FrameReader({ maxFrameBytes: LIMIT });
    inBody.push(frame.subarray(0, FRAME_HEADER_SIZE));
    expect(inBody.next()).toBeUndefined();
    expect((thrownBy(() => inBody.end()) as FrameDecodeError).kind).toBe("truncated_body");
  }, TIMEOUT_MS);

  it("counts the bytes it holds that are not yet returned as frames", () => {
    const frame = vectorBytes("ping/basic");
    const reader = new FrameReader({ maxFrameBytes: LIMIT });
    reader.push(frame);
    reader.push(frame.subarray(0, 3));
    expect(reader.bufferedBytes).toBe(frame.byteLength + 3);
    reader.next();
    expect(reader.bufferedBytes).toBe(3);
  }, TIMEOUT_MS);

  it("copies pushed chunks, so the caller may reuse them", () => {
    const chunk = vectorBytes("publish/all-optional-fields");
    const reader = new FrameReader({ maxFrameBytes: LIMIT });
    reader.push(chunk);
    chunk.fill(0);
    expect(reader.next()?.message).toEqual(expectedMessage("publish/all-optional-fields"));
  }, TIMEOUT_MS);

  it("returns messages that keep their bytes when the reader's buffer is reused", () => {
    const frame = vectorBytes("publish/all-optional-fields");
    const other = vectorBytes("deliver/batch-with-headers");
    const reader = new FrameReader({ maxFrameBytes: LIMIT });
    reader.push(frame);
    const first = reader.next();
    for (let round = 0; round < 4; round++) {
      reader.push(other);
      reader.next();
    }
    expect(first?.message).toEqual(expectedMessage("publish/all-optional-fields"));
  }, TIMEOUT_MS);
});
