// Behaviour of encodeFrame and decodeFrame beyond what the shared vectors pin: argument
// checking on encode, the error object, strict UTF-8, and the liberal decoding rules applied
// to inputs the vectors do not spell out.

import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame } from "../src/wire/codec.js";
import { FrameDecodeError } from "../src/wire/decode-error.js";
import type { DecodeErrorKind } from "../src/wire/generated/decode-errors.js";
import { FrameFlags } from "../src/wire/generated/flags.js";
import { FRAME_HEADER_SIZE, readFrameHeader, writeFrameHeader } from "../src/wire/frame-header.js";
import { ProtocolLimits } from "../src/wire/generated/limits.js";
import type { MessageOf, WireMessage } from "../src/wire/generated/messages.js";
import { Opcode, type OpName } from "../src/wire/generated/opcodes.js";
import { fromHex } from "./support/bytes.js";
import { frameVectorById, isPositive, loadFrameFiles } from "./support/vector-files.js";
import { messageFromJson } from "./support/vector-json.js";

const TIMEOUT_MS = 10_000;
const files = loadFrameFiles();
const LIMIT = 16 * 1024 * 1024;

function positiveVector<Op extends OpName>(id: string, op: Op) {
  const { vector, maxFrameBytes } = frameVectorById(id, files);
  if (!isPositive(vector) || vector.op !== op) throw new Error(`${id} is not a positive ${op} vector`);
  return {
    bytes: fromHex(vector.hex),
    maxFrameBytes,
    message: () => messageFromJson(vector.op, vector.fields) as MessageOf<Op>,
  };
}

function negativeBytes(id: string): Uint8Array {
  const { vector } = frameVectorById(id, files);
  if (isPositive(vector)) throw new Error(`${id} is not a negative vector`);
  return fromHex(vector.hex);
}

/** A frame for `op` around a body given as hex, for inputs no encoder would write. */
function rawFrame(op: OpName, bodyHex: string, requestId = 1): Uint8Array {
  const body = fromHex(bodyHex);
  const frame = new Uint8Array(FRAME_HEADER_SIZE + body.byteLength);
  writeFrameHeader({ version: 1, opcode: Opcode[op], flags: 0, requestId, bodyLength: body.byteLength }, frame);
  frame.set(body, FRAME_HEADER_SIZE);
  return frame;
}

function decodeError(bytes: Uint8Array): FrameDecodeError {
  try {
    decodeFrame(bytes, { maxFrameBytes: LIMIT });
  } catch (error) {
    if (error instanceof FrameDecodeError) return error;
    throw error;
  }
  throw new Error("decoding succeeded");
}

function expectKind(bytes: Uint8Array, kind: DecodeErrorKind): void {
  const error = decodeError(bytes);
  expect(error.kind, error.message).toBe(kind);
}

describe("encodeFrame argument checks", () => {
  const publish = positiveVector("publish/minimal-unconfirmed", "Publish");
  const ping: WireMessage = { op: "Ping" };

  it("allows the confirm flag only on ops that may carry it", () => {
    expect(() => encodeFrame(ping, { flags: FrameFlags.Confirm })).toThrow(RangeError);
    expect(readFrameHeader(encodeFrame(publish.message(), { flags: FrameFlags.Confirm })).flags).toBe(FrameFlags.Confirm);
  }, TIMEOUT_MS);

  it("refuses undefined flag bits", () => {
    expect(() => encodeFrame(publish.message(), { flags: 0x8000 })).toThrow(RangeError);
    expect(() => encodeFrame(publish.message(), { flags: 0x0002 })).toThrow(RangeError);
  }, TIMEOUT_MS);

  it("refuses request ids that are not unsigned 32-bit integers", () => {
    for (const requestId of [-1, 2 ** 32, 1.5, Number.NaN]) {
      expect(() => encodeFrame(ping, { requestId }), String(requestId)).toThrow(RangeError);
    }
    expect(readFrameHeader(encodeFrame(ping, { requestId: 2 ** 32 - 1 })).requestId).toBe(2 ** 32 - 1);
  }, TIMEOUT_MS);

  it("refuses protocol versions it cannot encode a body in", () => {
    expect(() => encodeFrame(ping, { version: 2 })).toThrow(RangeError);
    expect(() => encodeFrame(ping, { version: 0 })).toThrow(RangeError);
  }, TIMEOUT_MS);

  it("refuses a message without a required field, naming the field", () => {
    const message = publish.message();
    delete (message.message as Partial<typeof message.message>).payload;
    expect(() => encodeFrame(message)).toThrow(/Publish\.message\.payload/);
    expect(() => encodeFrame(message)).toThrow(TypeError);
  }, TIMEOUT_MS);

  it("refuses integers outside their field's range and non-integers", () => {
    const subscribe = positiveVector("subscribe/manual-ack", "Subscribe");
    expect(() => encodeFrame({ ...subscribe.message(), prefetch: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeFrame({ ...subscribe.message(), prefetch: -1 })).toThrow(RangeError);
    expect(() => encodeFrame({ ...subscribe.message(), prefetch: 1.5 })).toThrow(TypeError);
  }, TIMEOUT_MS);

  it("takes u64 fields only as bigints within 64 bits", () => {
    const unsubscribe = positiveVector("unsubscribe/basic", "Unsubscribe");
    const withId = (subscriptionId: unknown) => ({ ...unsubscribe.message(), subscriptionId }) as WireMessage;
    expect(() => encodeFrame(withId(5))).toThrow(TypeError);
    expect(() => encodeFrame(withId(-1n))).toThrow(RangeError);
    expect(() => encodeFrame(withId(1n << 64n))).toThrow(RangeError);
  }, TIMEOUT_MS);

  it("writes a u64 as uint32 up to 2^32 - 1 and as uint64 from 2^32, and reads both back", () => {
    const unsubscribe = positiveVector("unsubscribe/basic", "Unsubscribe");
    for (const [subscriptionId, typeByte] of [
      [(1n << 32n) - 1n, 0xce],
      [1n << 32n, 0xcf],
    ] as const) {
      const frame = encodeFrame({ ...unsubscribe.message(), subscriptionId });
      // The body is a one-element array; its element's type byte follows the array header.
      expect(frame[FRAME_HEADER_SIZE + 1]).toBe(typeByte);
      expect(decodeFrame(frame, { maxFrameBytes: LIMIT }).message).toEqual({ op: "Unsubscribe", subscriptionId });
    }
  }, TIMEOUT_MS);

  it("refuses strings with a lone surrogate, which have no UTF-8 form", () => {
    const message = publish.message();
    expect(() => encodeFrame({ ...message, topic: "orders\ud800" })).toThrow(RangeError);
    const headers = new Map([["\udc00key", "value"]]);
    expect(() => encodeFrame({ ...message, message: { ...message.message, headers } })).toThrow(RangeError);
  }, TIMEOUT_MS);

  it("takes string maps only as a Map", () => {
    const message = publish.message();
    const headers = { tenant: "acme" } as unknown as Map<string, string>;
    expect(() => encodeFrame({ ...message, message: { ...message.message, headers } })).toThrow(TypeError);
  }, TIMEOUT_MS);

  it("refuses enum values that are not names of the enum", () => {
    const subscribe = positiveVector("subscribe/manual-ack", "Subscribe");
    const message = { ...subscribe.message(), ackMode: "sometimes" } as unknown as WireMessage;
    expect(() => encodeFrame(message)).toThrow(RangeError);
  }, TIMEOUT_MS);

  it("refuses absent list elements", () => {
    const message = { op: "Ack", deliveryIds: [1n, undefined] } as unknown as WireMessage;
    expect(() => encodeFrame(message)).toThrow(TypeError);
  }, TIMEOUT_MS);

  it("sorts string maps by UTF-8 bytes whatever order the Map was filled in", () => {
    const vector = positiveVector("publish/many-headers", "Publish");
    const message = vector.message();
    const reversed = new Map([...(message.message.headers ?? new Map<string, string>())].reverse());
    const frame = encodeFrame({ ...message, message: { ...message.message, headers: reversed } }, { requestId: 12, flags: 1 });
    expect(frame).toEqual(vector.bytes);
  }, TIMEOUT_MS);
});

describe("decodeFrame results and errors", () => {
  it("returns byte fields that do not share memory with the input", () => {
    const vector = positiveVector("publish/all-optional-fields", "Publish");
    const input = vector.bytes.slice();
    const frame = decodeFrame(input, { maxFrameBytes: vector.maxFrameBytes });
    input.fill(0);
    expect(frame.message).toEqual(vector.message());
  }, TIMEOUT_MS);

  it("treats bytes after the end of the frame as a mistake of the caller, not a decode error", () => {
    const ping = positiveVector("ping/basic", "Ping");
    const input = new Uint8Array([...ping.bytes, 0x90]);
    expect(() => decodeFrame(input, { maxFrameBytes: ping.maxFrameBytes })).toThrow(RangeError);
  }, TIMEOUT_MS);

  it("keeps the frame's header on errors found after the header, so a reply can name the request", () => {
    const bytes = negativeBytes("negative/unknown-opcode/unassigned");
    const error = decodeError(bytes);
    expect(error.kind).toBe("unknown_opcode");
    expect(error.header?.requestId).toBe(readFrameHeader(bytes).requestId);
    expect(error.header?.opcode).toBe(readFrameHeader(bytes).opcode);
    expect(error.errorCode).toBe("unknown_op");
  }, TIMEOUT_MS);

  it("is an Error named FrameDecodeError that carries the MessagePack library's error as its cause", () => {
    const error = decodeError(negativeBytes("negative/malformed-body/never-used-byte"));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("FrameDecodeError");
    expect(error.kind).toBe("malformed_body");
    expect(error.cause).toBeInstanceOf(Error);
  }, TIMEOUT_MS);

  it("names the offending field of a field error", () => {
    expect(decodeError(negativeBytes("negative/wrong-type/payload-is-str")).field).toBe("message.payload");
    expect(decodeError(negativeBytes("negative/missing-field/list-item")).field).toBe("deliveryIds[1]");
    expect(decodeError(negativeBytes("negative/invalid-value/duplicate-header-key")).field).toBe("message.headers[2]");
  }, TIMEOUT_MS);

  it("refuses a frame size limit that is not an unsigned 32-bit integer", () => {
    const ping = positiveVector("ping/basic", "Ping");
    for (const maxFrameBytes of [-1, 1.5, 2 ** 32]) {
      expect(() => decodeFrame(ping.bytes, { maxFrameBytes })).toThrow(RangeError);
    }
  }, TIMEOUT_MS);
});

describe("strict UTF-8 in str fields", () => {
  const hello = positiveVector("hello/minimal", "Hello");
  const name = new TextEncoder().encode(hello.message().clientName);
  const nameOffset = Buffer.from(hello.bytes).indexOf(Buffer.from(name));

  /** hello/minimal with the start of the client name replaced by `bytes`, keeping its length. */
  function withNameStart(bytesHex: string): Uint8Array {
    const frame = hello.bytes.slice();
    frame.set(fromHex(bytesHex), nameOffset);
    return frame;
  }

  it("finds the client name inside the frame", () => {
    expect(nameOffset).toBeGreaterThan(FRAME_HEADER_SIZE);
  }, TIMEOUT_MS);

  for (const [sequence, description] of [
    ["c080", "an overlong encoding of U+0000"],
    ["c1bf", "an overlong two-byte form"],
    ["eda080", "an encoded surrogate"],
    ["f4908080", "a code point above U+10FFFF"],
    ["80", "a lone continuation byte"],
    ["e282", "a three-byte sequence cut short"],
  ] as const) {
    it(`rejects ${description} (${sequence}) in a short str as invalid_value`, () => {
      expectKind(withNameStart(sequence), "invalid_value");
    }, TIMEOUT_MS);
  }

  it("accepts valid UTF-8 that encodes U+FFFD or a leading U+FEFF, and keeps them", () => {
    const rest = hello.message().clientName.slice(3);
    const replacement = decodeFrame(withNameStart("efbfbd"), { maxFrameBytes: LIMIT }).message as MessageOf<"Hello">;
    expect(replacement.clientName).toBe(`\ufffd${rest}`);
    const byteOrderMark = decodeFrame(withNameStart("efbbbf"), { maxFrameBytes: LIMIT }).message as MessageOf<"Hello">;
    expect(byteOrderMark.clientName).toBe(`\ufeff${rest}`);
  }, TIMEOUT_MS);
});

describe("liberal decoding of inputs no encoder writes", () => {
  it("accepts a signed integer form holding a non-negative value", () => {
    const decoded = decodeFrame(rawFrame("Unsubscribe", "91d30000000000000005"), { maxFrameBytes: LIMIT });
    expect(decoded.message).toEqual({ op: "Unsubscribe", subscriptionId: 5n });
  }, TIMEOUT_MS);

  it("rejects a negative int64 in an unsigned field as wrong_type", () => {
    expectKind(rawFrame("Unsubscribe", "91d3ffffffffffffffff"), "wrong_type");
  }, TIMEOUT_MS);

  it("rejects a MessagePack map as wrong_type whatever its keys", () => {
    expectKind(rawFrame("Unsubscribe", "9181a95f5f70726f746f5f5f01"), "wrong_type");
    expectKind(rawFrame("Unsubscribe", "9181c001"), "wrong_type");
    expectKind(rawFrame("Ping", "81c4010001"), "wrong_type");
  }, TIMEOUT_MS);

  it("rejects extensions as wrong_type, but a timestamp of a length MessagePack does not define as malformed", () => {
    expectKind(rawFrame("GoingAway", "93d6ff00000001a178c0"), "wrong_type");
    expectKind(rawFrame("GoingAway", "93d40500a178c0"), "wrong_type");
    expectKind(rawFrame("GoingAway", "93d4ff00a178c0"), "malformed_body");
  }, TIMEOUT_MS);

  it("skips appended fields of any type without checking them", () => {
    // subscription_id 5, handed_out nil, then a map, an extension and a str that is not UTF-8.
    const decoded = decodeFrame(rawFrame("Unsubscribe", "9505c081c001d40500a1ff"), { maxFrameBytes: LIMIT });
    expect(decoded.message).toEqual({ op: "Unsubscribe", subscriptionId: 5n });
  }, TIMEOUT_MS);

  it("still requires appended fields to be well-formed MessagePack", () => {
    expectKind(rawFrame("Unsubscribe", "9305c0c1"), "malformed_body");
  }, TIMEOUT_MS);

  it("rejects a nil string-map element as missing_field and a non-str one as wrong_type", () => {
    // Error: code 1, retryable false, message "x", details ["k", <element>].
    expectKind(rawFrame("Error", "9401c2a17892a16bc0"), "missing_field");
    expectKind(rawFrame("Error", "9401c2a17892a16b01"), "wrong_type");
  }, TIMEOUT_MS);

  it("reports the first bad field in wire order", () => {
    // Publish: topic nil (missing_field) before a message record that is a str (wrong_type).
    expectKind(rawFrame("Publish", "94c0c0a178c0"), "missing_field");
    // Publish: topic an integer (wrong_type) before a message with no payload (missing_field).
    expectKind(rawFrame("Publish", "9401c090c0"), "wrong_type");
  }, TIMEOUT_MS);

  it("reports an error inside a record before an error in a later field (depth first)", () => {
    // Publish: message record without its payload, then routing_version a str.
    expectKind(rawFrame("Publish", "94a174c090a178"), "missing_field");
  }, TIMEOUT_MS);

  it("reports structure errors before field errors", () => {
    // Unsubscribe with a str subscription id (a field error) followed by a stray byte.
    expectKind(rawFrame("Unsubscribe", "91a17800"), "trailing_bytes");
    // The same, cut short inside the array.
    expectKind(rawFrame("Unsubscribe", "92a178"), "malformed_body");
  }, TIMEOUT_MS);
});

describe("the nesting limit", () => {
  const limit = ProtocolLimits.maxNestingDepth;
  /** An array holding `levels - 1` nested one-element arrays: `levels` levels in all. */
  const nestedArrays = (levels: number) => "91".repeat(levels - 1) + "90";

  it("accepts a body whose arrays nest exactly to the limit, inside an appended field", () => {
    // The body array is the first level; the appended field supplies the rest.
    const frame = rawFrame("Unsubscribe", `9305c0${nestedArrays(limit - 1)}`);
    expect(decodeFrame(frame, { maxFrameBytes: LIMIT }).message).toEqual({ op: "Unsubscribe", subscriptionId: 5n });
  }, TIMEOUT_MS);

  it("rejects one level more as malformed_body", () => {
    expectKind(rawFrame("Unsubscribe", `9305c0${nestedArrays(limit)}`), "malformed_body");
  }, TIMEOUT_MS);

  it("counts arrays nested in a map's keys and in every value of duplicate keys", () => {
    // The map is the second level; its key or first value supplies the rest.
    expectKind(rawFrame("Unsubscribe", `9305c081${nestedArrays(limit - 1)}01`), "malformed_body");
    expectKind(rawFrame("Unsubscribe", `9305c082a161${nestedArrays(limit - 1)}a16101`), "malformed_body");
    const withinLimit = rawFrame("Unsubscribe", `9305c082a161${nestedArrays(limit - 2)}a16101`);
    expect(decodeFrame(withinLimit, { maxFrameBytes: LIMIT }).message).toEqual({ op: "Unsubscribe", subscriptionId: 5n });
  }, TIMEOUT_MS);

  it("still sees every map key in the next body after rejecting one for its nesting", () => {
    const tooDeep = rawFrame("Unsubscribe", `9305c0${nestedArrays(limit)}`);
    const deepBehindDuplicateKey = rawFrame("Unsubscribe", `9305c082a161${nestedArrays(limit - 1)}a16101`);
    expectKind(tooDeep, "malformed_body");
    expectKind(deepBehindDuplicateKey, "malformed_body");
  }, TIMEOUT_MS);

  it("reports excessive nesting before trailing bytes", () => {
    expectKind(rawFrame("Unsubscribe", `9305c0${nestedArrays(limit)}00`), "malformed_body");
  }, TIMEOUT_MS);
});
