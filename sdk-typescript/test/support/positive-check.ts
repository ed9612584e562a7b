// The check a positive vector must pass, written to return its failures rather than throw, so
// the same check can be run on mutated bytes and must then report something.

import { createHash } from "node:crypto";
import { decodeFrame, encodeFrame, type Frame } from "../../src/wire/codec.js";
import { FRAME_HEADER_SIZE } from "../../src/wire/frame-header.js";
import type { WireMessage } from "../../src/wire/generated/messages.js";
import { Opcode, type OpName } from "../../src/wire/generated/opcodes.js";
import { describeByteDifference, fromHex } from "./bytes.js";
import { diffJson } from "./json-diff.js";
import type { Json, PositiveVector } from "./vector-files.js";
import { messageFromJson, messageToJson } from "./vector-json.js";

/** A positive vector with its bytes decoded and its expected message built once. */
export interface PreparedVector {
  readonly vector: PositiveVector;
  readonly maxFrameBytes: number;
  /** The frame to decode (`hex`). */
  readonly input: Uint8Array;
  /** The canonical frame an encoder must produce (`canonical_hex`, else `hex`). */
  readonly canonical: Uint8Array;
  /** The message built from `header` and `fields`, or why it could not be built. */
  readonly expected: { message: WireMessage } | { error: string };
  /** `fields`, to compare decoded messages with in the vectors' JSON form. */
  readonly expectedJson: { [key: string]: Json };
}

/** Decodes a positive vector's hex and builds its expected message. */
export function prepareVector(vector: PositiveVector, maxFrameBytes: number): PreparedVector {
  const input = fromHex(vector.hex);
  const canonical = vector.canonical_hex === undefined ? input : fromHex(vector.canonical_hex);
  let expected: PreparedVector["expected"];
  try {
    expected = { message: messageFromJson(vector.op, vector.fields) };
  } catch (error) {
    expected = { error: error instanceof Error ? error.message : String(error) };
  }
  return { vector, maxFrameBytes, input, canonical, expected, expectedJson: vector.fields };
}

function encodeOptions(vector: PositiveVector) {
  return { requestId: vector.header.request_id, flags: vector.header.flags, version: vector.header.version };
}

function attempt<T>(failures: string[], step: string, action: () => T): T | undefined {
  try {
    return action();
  } catch (error) {
    failures.push(`${step} threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return undefined;
  }
}

/**
 * Compares a decoded frame with what a vector says: the header fields (and the opcode and body
 * length that follow from them) and the message in the vectors' JSON form.
 */
export function compareDecodedFrame(prepared: PreparedVector, frame: Frame, inputLength: number): string[] {
  const { vector } = prepared;
  const failures: string[] = [];
  const { header } = frame;
  const expectedOpcode = Object.hasOwn(Opcode, vector.op) ? Opcode[vector.op as OpName] : undefined;
  const headerChecks: [string, number, number | undefined][] = [
    ["version", header.version, vector.header.version],
    ["flags", header.flags, vector.header.flags],
    ["request id", header.requestId, vector.header.request_id],
    ["opcode", header.opcode, expectedOpcode],
    ["body length", header.bodyLength, inputLength - FRAME_HEADER_SIZE],
  ];
  for (const [name, actual, expected] of headerChecks) {
    if (actual !== expected) failures.push(`decoded header ${name}: expected ${expected}, got ${actual}`);
  }
  if (frame.message.op !== vector.op) failures.push(`decoded op: expected ${vector.op}, got ${frame.message.op}`);
  const json = attempt(failures, "converting the decoded message to JSON", () => messageToJson(frame.message));
  if (json !== undefined) {
    failures.push(...diffJson(prepared.expectedJson, json).map((difference) => `decoded fields ${difference}`));
  }
  return failures;
}

/**
 * Runs a positive vector: encode the expected message and compare with the canonical bytes;
 * decode the input and compare with the header and fields; re-encode the decoded message and
 * compare with the canonical bytes again; and for a non-canonical input, compare its SHA-256
 * with `hex_sha256`, the only check that notices a change inside fields a decoder skips.
 * Returns every failure found.
 *
 * @param bytes - the input and canonical frames to check against, the vector's own by default
 */
export function checkPositiveVector(
  prepared: PreparedVector,
  bytes: { input: Uint8Array; canonical: Uint8Array } = prepared,
): string[] {
  const { vector } = prepared;
  const failures: string[] = [];
  if ("error" in prepared.expected) {
    return [`building the message from the vector's fields failed: ${prepared.expected.error}`];
  }
  const expectedMessage = prepared.expected.message;

  if (vector.hex_sha256 !== undefined) {
    const digest = createHash("sha256").update(bytes.input).digest("hex");
    if (digest !== vector.hex_sha256) failures.push(`hex_sha256: expected ${vector.hex_sha256}, got ${digest}`);
  } else if (vector.canonical_hex !== undefined) {
    failures.push("a vector with canonical_hex must carry hex_sha256");
  }

  const encoded = attempt(failures, "encoding the vector's message", () => encodeFrame(expectedMessage, encodeOptions(vector)));
  if (encoded !== undefined) {
    const difference = describeByteDifference(bytes.canonical, encoded);
    if (difference !== undefined) failures.push(`encoding the vector's message: ${difference}`);
  }

  const decoded = attempt(failures, "decoding the vector's bytes", () =>
    decodeFrame(bytes.input, { maxFrameBytes: prepared.maxFrameBytes }),
  );
  if (decoded === undefined) return failures;
  failures.push(...compareDecodedFrame(prepared, decoded, bytes.input.byteLength));

  const reEncoded = attempt(failures, "re-encoding the decoded message", () =>
    encodeFrame(decoded.message, {
      requestId: decoded.header.requestId,
      flags: decoded.header.flags,
      version: decoded.header.version,
    }),
  );
  if (reEncoded !== undefined) {
    const difference = describeByteDifference(bytes.canonical, reEncoded);
    if (difference !== undefined) failures.push(`re-encoding the decoded message: ${difference}`);
  }
  return failures;
}
