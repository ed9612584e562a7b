// Runs every shared wire vector against the codec: positive frames (encode, decode, re-encode),
// negative frames (the decode error kind), the streaming reader, byte-flip mutations,
// partitioning, name rules and duration ranges, then guards that nothing was skipped and prints
// a summary.

import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkDurationMs } from "../src/argument-checks.js";
import { resolveClientOptions } from "../src/client/resolved-options.js";
import { DURATION_RANGES, heartbeatInUse, isDurationInRange, type DurationField } from "../src/durations.js";
import { InvalidArgumentError } from "../src/errors/invalid-argument-error.js";
import { normaliseGroup, validateHeaderKey, validateName } from "../src/naming.js";
import { fnv1a64, partitionForKey } from "../src/routing/fnv1a.js";
import { decodeFrame, type Frame } from "../src/wire/codec.js";
import { FrameDecodeError } from "../src/wire/decode-error.js";
import { FRAME_HEADER_SIZE } from "../src/wire/frame-header.js";
import { FrameReader } from "../src/wire/frame-reader.js";
import { fromHex, seededRandom } from "./support/bytes.js";
import { checkPositiveVector, compareDecodedFrame, prepareVector, type PreparedVector } from "./support/positive-check.js";
import {
  isPositive,
  loadCompanion,
  loadDurations,
  loadFrameFiles,
  loadNames,
  loadPartitioning,
  loadRegistry,
  wireVectorsDirectory,
  type FrameVectorFile,
  type NegativeVector,
} from "./support/vector-files.js";

// A hang guard, not a speed check: the sampled mutations of the 1 MiB vectors re-run the whole
// codec a few hundred times and take tens of seconds on a busy two-core machine.
const TIMEOUT_MS = 120_000;
// Frames larger than this are sampled rather than split or mutated at every byte.
const EXHAUSTIVE_LIMIT_BYTES = 64 * 1024;
const SAMPLED_RANDOM_POSITIONS = 64;
const SAMPLED_EDGE_BYTES = 64;

const directory = wireVectorsDirectory();
const registry = loadRegistry(directory);
const frameFiles = loadFrameFiles(directory);
const partitioning = loadPartitioning(directory);
const names = loadNames(directory);
const durations = loadDurations(directory);

const positives: PreparedVector[] = frameFiles.flatMap((file) =>
  file.vectors.filter(isPositive).map((vector) => prepareVector(vector, file.max_frame_bytes)),
);
const negatives: { vector: NegativeVector; file: FrameVectorFile }[] = frameFiles.flatMap((file) =>
  file.vectors.filter((vector): vector is NegativeVector => !isPositive(vector)).map((vector) => ({ vector, file })),
);

const executed = new Set<string>();
const coveredOps = new Set<string>();
const counts = {
  positive: 0,
  nonCanonical: 0,
  negative: 0,
  mutations: 0,
  partitioning: 0,
  names: 0,
  headerKeys: 0,
  groups: 0,
  durations: 0,
  heartbeats: 0,
};

// The build collects one summary line per language: printed here, and also written to
// $SINEW_TEST_SUMMARY_DIR/wire-vectors-typescript.txt when the build sets that variable.
afterAll(() => {
  const summary =
    `wire-vectors typescript: positive=${counts.positive} non_canonical=${counts.nonCanonical} ` +
    `negative=${counts.negative} mutations=${counts.mutations} partitioning=${counts.partitioning} ` +
    `names=${counts.names} header_keys=${counts.headerKeys} groups=${counts.groups} ` +
    `durations=${counts.durations} heartbeats=${counts.heartbeats} ` +
    `ops=${coveredOps.size}/${registry.ops.length}`;
  console.log(summary);
  const summaryDirectory = process.env["SINEW_TEST_SUMMARY_DIR"];
  if (summaryDirectory !== undefined && summaryDirectory !== "") {
    mkdirSync(summaryDirectory, { recursive: true });
    writeFileSync(join(summaryDirectory, "wire-vectors-typescript.txt"), `${summary}\n`);
  }
});

/** Runs `action` and returns the FrameDecodeError it throws; fails the test if it throws nothing else. */
function decodeErrorOf(action: () => unknown): FrameDecodeError {
  let result: unknown;
  try {
    result = action();
  } catch (error) {
    if (error instanceof FrameDecodeError) return error;
    throw new Error(`expected a FrameDecodeError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected a FrameDecodeError, but decoding succeeded with ${JSON.stringify(result, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))?.slice(0, 200)}`);
}

/** Feeds `chunks` to a new reader, collecting frames, then ends the stream. */
function readAll(chunks: Iterable<Uint8Array>, maxFrameBytes: number): Frame[] {
  const reader = new FrameReader({ maxFrameBytes });
  const frames: Frame[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let frame = reader.next(); frame !== undefined; frame = reader.next()) frames.push(frame);
  }
  reader.end();
  return frames;
}

function* singleBytes(bytes: Uint8Array): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset++) yield bytes.subarray(offset, offset + 1);
}

/** The positions to flip or split at: all of them, or for a large frame a fixed sample. */
function samplePositions(length: number, seed: number): number[] {
  if (length <= EXHAUSTIVE_LIMIT_BYTES) return Array.from({ length }, (_unused, index) => index);
  const positions = new Set<number>();
  for (let index = 0; index < FRAME_HEADER_SIZE + SAMPLED_EDGE_BYTES; index++) positions.add(index);
  for (let index = length - SAMPLED_EDGE_BYTES; index < length; index++) positions.add(index);
  const random = seededRandom(seed);
  while (positions.size < 2 * SAMPLED_EDGE_BYTES + FRAME_HEADER_SIZE + SAMPLED_RANDOM_POSITIONS) {
    positions.add(FRAME_HEADER_SIZE + Math.floor(random() * (length - FRAME_HEADER_SIZE)));
  }
  return [...positions].sort((a, b) => a - b);
}

describe("positive frame vectors", () => {
  for (const prepared of positives) {
    const { vector } = prepared;
    it(`${vector.id} encodes to its canonical bytes, decodes to its fields and re-encodes identically`, () => {
      executed.add(vector.id);
      counts.positive++;
      if (vector.canonical_hex !== undefined) counts.nonCanonical++;
      expect(checkPositiveVector(prepared)).toEqual([]);
      coveredOps.add(vector.op);
    }, TIMEOUT_MS);
  }
});

describe("negative frame vectors", () => {
  for (const { vector, file } of negatives) {
    it(`${vector.id} is rejected as ${vector.error}`, () => {
      executed.add(vector.id);
      counts.negative++;
      const error = decodeErrorOf(() => decodeFrame(fromHex(vector.hex), { maxFrameBytes: file.max_frame_bytes }));
      expect(error.kind, error.message).toBe(vector.error);
      expect(error.name).toBe("FrameDecodeError");
    }, TIMEOUT_MS);
  }
});

describe("streaming frame reader", () => {
  for (const prepared of positives) {
    const { vector, input, maxFrameBytes } = prepared;

    it(`${vector.id} yields the same frame when its bytes arrive one at a time`, () => {
      const frames = readAll(singleBytes(input), maxFrameBytes);
      expect(frames).toHaveLength(1);
      expect(compareDecodedFrame(prepared, frames[0] as Frame, input.byteLength)).toEqual([]);
    }, TIMEOUT_MS);

    it(`${vector.id} yields the same frame when its bytes are split in two at any offset`, () => {
      const failures: string[] = [];
      for (const offset of samplePositions(input.byteLength + 1, 0x5eed)) {
        const frames = readAll([input.subarray(0, offset), input.subarray(offset)], maxFrameBytes);
        if (frames.length !== 1) {
          failures.push(`split at ${offset}: ${frames.length} frames`);
          continue;
        }
        failures.push(...compareDecodedFrame(prepared, frames[0] as Frame, input.byteLength).map((f) => `split at ${offset}: ${f}`));
      }
      expect(failures).toEqual([]);
    }, TIMEOUT_MS);
  }

  it("yields every positive vector in order when they arrive back to back in odd-sized chunks", () => {
    const stream = Buffer.concat(positives.map((prepared) => prepared.input));
    const chunkSizes = [1, 7, 16, 17, 300, 4096, 65_537];
    const chunks: Uint8Array[] = [];
    for (let offset = 0, turn = 0; offset < stream.byteLength; turn++) {
      const size = chunkSizes[turn % chunkSizes.length] as number;
      chunks.push(stream.subarray(offset, offset + size));
      offset += size;
    }
    const maxFrameBytes = Math.max(...positives.map((prepared) => prepared.maxFrameBytes));
    const frames = readAll(chunks, maxFrameBytes);
    expect(frames).toHaveLength(positives.length);
    const failures = positives.flatMap((prepared, index) =>
      compareDecodedFrame(prepared, frames[index] as Frame, prepared.input.byteLength).map((f) => `${prepared.vector.id}: ${f}`),
    );
    expect(failures).toEqual([]);
  }, TIMEOUT_MS);

  for (const { vector, file } of negatives) {
    const bytes = fromHex(vector.hex);
    // An empty input is a stream that ended cleanly between frames, not a truncated header.
    if (bytes.byteLength === 0) continue;
    it(`${vector.id} fails with ${vector.error} when streamed one byte at a time`, () => {
      const error = decodeErrorOf(() => readAll(singleBytes(bytes), file.max_frame_bytes));
      expect(error.kind, error.message).toBe(vector.error);
    }, TIMEOUT_MS);
  }

  const precedence = registry.decode_error_precedence;
  const headerOnlyKinds = new Set(
    precedence.slice(precedence.indexOf("truncated_header") + 1, precedence.indexOf("truncated_body")),
  );
  for (const { vector, file } of negatives.filter(({ vector }) => headerOnlyKinds.has(vector.error))) {
    it(`${vector.id} fails with ${vector.error} as soon as the 16 header bytes are in, before any body`, () => {
      const reader = new FrameReader({ maxFrameBytes: file.max_frame_bytes });
      const bytes = fromHex(vector.hex);
      reader.push(bytes.subarray(0, FRAME_HEADER_SIZE - 1));
      expect(reader.next()).toBeUndefined();
      reader.push(bytes.subarray(FRAME_HEADER_SIZE - 1, FRAME_HEADER_SIZE));
      const error = decodeErrorOf(() => reader.next());
      expect(error.kind).toBe(vector.error);
    }, TIMEOUT_MS);
  }
});

describe("byte-flip mutations of positive vectors", () => {
  for (const prepared of positives) {
    const { vector } = prepared;
    const targets = [{ name: "hex", bytes: prepared.input }];
    if (prepared.canonical !== prepared.input) targets.push({ name: "canonical_hex", bytes: prepared.canonical });

    it(`${vector.id}: flipping any byte makes the check fail`, () => {
      const undetected: string[] = [];
      for (const { name, bytes } of targets) {
        for (const position of samplePositions(bytes.byteLength, seedFor(vector.id))) {
          const original = bytes[position] as number;
          bytes[position] = original ^ 0xff;
          try {
            counts.mutations++;
            if (checkPositiveVector(prepared).length === 0) undetected.push(`${name} byte ${position}`);
          } finally {
            bytes[position] = original;
          }
        }
      }
      expect(undetected).toEqual([]);
    }, TIMEOUT_MS);
  }

  afterAll(() => {
    console.log(`mutation test: ${counts.mutations} byte flips of positive vectors tried`);
  });
});

/** A stable per-vector seed, so every vector samples its own positions reproducibly. */
function seedFor(id: string): number {
  let seed = 0;
  for (const character of id) seed = (Math.imul(seed, 31) + (character.codePointAt(0) ?? 0)) >>> 0;
  return seed;
}

describe("partitioning vectors", () => {
  for (const vector of partitioning.vectors) {
    it(`${vector.id} hashes to ${vector.fnv1a64} and selects the listed partitions`, () => {
      executed.add(vector.id);
      counts.partitioning++;
      const key = fromHex(vector.key_hex);
      const text = typeof vector.key_utf8 === "string" ? vector.key_utf8 : undefined;
      expect(fnv1a64(key)).toBe(BigInt(vector.fnv1a64));
      if (text !== undefined) {
        expect(new TextEncoder().encode(text)).toEqual(key);
        expect(fnv1a64(text)).toBe(BigInt(vector.fnv1a64));
      }
      for (const { count, partition } of vector.partitions) {
        expect(partitionForKey(key, count), `${count} partitions`).toBe(partition);
        if (text !== undefined) expect(partitionForKey(text, count), `${count} partitions, text key`).toBe(partition);
      }
    }, TIMEOUT_MS);
  }
});

describe("name vectors", () => {
  for (const entry of names.names) {
    it(`${entry.id} is ${entry.valid ? "a valid name" : `refused as ${entry.reason}`}`, () => {
      executed.add(entry.id);
      counts.names++;
      expect(validateName(entry.value)).toBe(entry.valid ? undefined : entry.reason);
    }, TIMEOUT_MS);
  }

  for (const entry of names.header_keys) {
    it(`${entry.id} is ${entry.allowed ? "an allowed header key" : `refused as ${entry.reason}`}`, () => {
      executed.add(entry.id);
      counts.headerKeys++;
      expect(validateHeaderKey(entry.key)).toBe(entry.allowed ? undefined : entry.reason);
    }, TIMEOUT_MS);
  }

  for (const entry of names.groups) {
    it(`${entry.id} normalises to ${JSON.stringify(entry.normalised)}`, () => {
      executed.add(entry.id);
      counts.groups++;
      expect(normaliseGroup(entry.group)).toBe(entry.normalised ?? undefined);
    }, TIMEOUT_MS);
  }
});

describe("duration vectors", () => {
  const nowMs = Number(durations.now_ms);

  it("every duration field has the vector's range", () => {
    expect(durations.fields.map((entry) => entry.field).sort()).toEqual(Object.keys(DURATION_RANGES).sort());
    for (const entry of durations.fields) {
      const range = DURATION_RANGES[entry.field as DurationField];
      expect(range.max, entry.field).toBe(Number(entry.max));
      expect(range.max, entry.field).toBe(registry.limits[entry.max_limit]);
      expect(range.fromNow, entry.field).toBe(entry.from_now);
      if (!entry.from_now) expect(range.min, entry.field).toBe(Number(entry.min));
    }
  }, TIMEOUT_MS);

  for (const entry of durations.durations) {
    it(`${entry.id} is ${entry.valid ? "accepted" : `refused as ${entry.reason}`}`, () => {
      executed.add(entry.id);
      counts.durations++;
      const field = entry.field as DurationField;
      expect(isDurationInRange(field, BigInt(entry.value), nowMs)).toBe(entry.valid);
      expect(entry.reason).toBe(entry.valid ? null : "out_of_range");
      // A duration (not a time) the client takes as a number is checked by the same range; a
      // value past 2^53 cannot be given as an exact number, and is refused all the same.
      if (!DURATION_RANGES[field].fromNow) {
        const check = () => checkDurationMs("value", Number(entry.value), field);
        if (entry.valid) expect(check()).toBe(Number(entry.value));
        else expect(check).toThrow(InvalidArgumentError);
      }
    }, TIMEOUT_MS);
  }

  for (const entry of durations.heartbeats) {
    it(`${entry.id}: a client ${entry.sendable ? "may" : "may not"} propose it`, () => {
      executed.add(entry.id);
      counts.heartbeats++;
      if (entry.proposed === null) return;
      const resolve = () => resolveClientOptions({ heartbeatMs: Number(entry.proposed) });
      if (entry.sendable) expect(resolve().heartbeatMs).toBe(Number(entry.proposed));
      else expect(resolve).toThrow(InvalidArgumentError);
    }, TIMEOUT_MS);
  }

  for (const entry of durations.hello_ok_heartbeats) {
    it(`${entry.id}: the client runs with ${entry.used} ms`, () => {
      executed.add(entry.id);
      counts.heartbeats++;
      expect(heartbeatInUse(BigInt(entry.announced))).toBe(Number(entry.used));
    }, TIMEOUT_MS);
  }
});

describe("vector coverage", () => {
  it("a sidecar reference is read as hex only when its file matches the digest and length", () => {
    const scratch = mkdtempSync(join(tmpdir(), "sinew-companion-"));
    try {
      mkdirSync(join(scratch, "bytes"));
      writeFileSync(join(scratch, "bytes", "blob.bin"), Uint8Array.of(1, 2));
      const companion = join(scratch, "companion.json");
      const write = (content: Uint8Array) => {
        const sha256 = createHash("sha256").update(content).digest("hex");
        const reference = { file: "bytes/blob.bin", length: content.byteLength, sha256 };
        writeFileSync(companion, JSON.stringify({ vectors: [{ hex: reference }] }));
      };
      write(Uint8Array.of(1, 3));
      expect(() => loadCompanion(companion)).toThrow(/does not match/);
      write(Uint8Array.of(1, 2));
      expect(loadCompanion(companion)).toEqual({ vectors: [{ hex: "0102" }] });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, TIMEOUT_MS);

  for (const file of frameFiles) {
    it(`frames/${file.fileName} holds as many vectors as its count says`, () => {
      expect(file.vectors).toHaveLength(file.count);
    }, TIMEOUT_MS);
  }

  it("every vector id is unique", () => {
    const ids = [
      ...frameFiles.flatMap((file) => file.vectors.map((vector) => vector.id)),
      ...partitioning.vectors.map((vector) => vector.id),
      ...names.names.map((entry) => entry.id),
      ...names.header_keys.map((entry) => entry.id),
      ...names.groups.map((entry) => entry.id),
      ...durations.durations.map((entry) => entry.id),
      ...durations.heartbeats.map((entry) => entry.id),
      ...durations.hello_ok_heartbeats.map((entry) => entry.id),
    ];
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
  }, TIMEOUT_MS);

  it("every vector was executed", () => {
    const all = [
      ...frameFiles.flatMap((file) => file.vectors.map((vector) => vector.id)),
      ...partitioning.vectors.map((vector) => vector.id),
      ...names.names.map((entry) => entry.id),
      ...names.header_keys.map((entry) => entry.id),
      ...names.groups.map((entry) => entry.id),
      ...durations.durations.map((entry) => entry.id),
      ...durations.heartbeats.map((entry) => entry.id),
      ...durations.hello_ok_heartbeats.map((entry) => entry.id),
    ];
    expect(all.filter((id) => !executed.has(id))).toEqual([]);
  }, TIMEOUT_MS);

  it("every op in the registry has a positive vector that passes", () => {
    expect(registry.ops.map((op) => op.name).filter((name) => !coveredOps.has(name))).toEqual([]);
  }, TIMEOUT_MS);

  it("every decode error kind has a negative vector", () => {
    const kindsWithVectors = new Set(negatives.map(({ vector }) => vector.error));
    expect(registry.decode_errors.map((entry) => entry.kind).filter((kind) => !kindsWithVectors.has(kind))).toEqual([]);
  }, TIMEOUT_MS);
});
