// Locating and loading the shared wire-vector files: the protocol registry, the frame vectors
// (from their expanded companions, where every byte value is hex), the partitioning vectors and
// the name vectors.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** A JSON value as the vector files hold it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PositiveVector {
  id: string;
  comment: string;
  tags: string[];
  op: string;
  header: { version: number; flags: number; request_id: number };
  fields: { [key: string]: Json };
  hex: string;
  canonical_hex?: string;
  /** SHA-256 of the `hex` bytes, on vectors whose input is not canonical. */
  hex_sha256?: string;
}

export interface NegativeVector {
  id: string;
  comment: string;
  tags: string[];
  hex: string;
  error: string;
}

export interface FrameVectorFile {
  /** The file's name under `frames/`, e.g. `"queues.json"`. */
  fileName: string;
  schema: string;
  protocol_version: number;
  description: string;
  max_frame_bytes: number;
  notes: Record<string, string>;
  count: number;
  vectors: (PositiveVector | NegativeVector)[];
}

export interface RegistryField {
  name: string;
  type: string;
  optional?: boolean;
}

export interface ProtocolRegistry {
  protocol: string;
  versions: number[];
  header: {
    size: number;
    byte_order: string;
    magic: string;
    fields: { name: string; offset: number; size: number }[];
  };
  flags: { name: string; bit: number; value: number; ops: string[]; doc?: string }[];
  limits: Record<string, number>;
  decode_error_precedence: string[];
  decode_errors: { kind: string; code: string; meaning: string }[];
  errors: { name: string; code: number; retryable: boolean; closes_connection: boolean; meaning: string }[];
  enums: Record<string, Record<string, number>>;
  records: Record<string, RegistryField[]>;
  ops: { name: string; opcode: number; from: string; replies: string[]; fields: RegistryField[] }[];
}

export interface PartitioningFile {
  schema: string;
  description: string;
  algorithm: { offset_basis: string; prime: string; steps: string };
  vectors: {
    id: string;
    comment: string;
    key_hex: string;
    key_utf8?: string | null;
    fnv1a64: string;
    partitions: { count: number; partition: number }[];
  }[];
}

export interface NamesFile {
  schema: string;
  description: string;
  names: { id: string; value: string; valid: boolean; reason: string | null; comment: string }[];
  header_keys: { id: string; key: string; allowed: boolean; reason: string | null; comment: string }[];
  groups: { id: string; group: string | null; normalised: string | null; comment: string }[];
}

export interface DurationsFile {
  schema: string;
  description: string;
  now_ms: string;
  fields: {
    field: string;
    error_field: string;
    min: string;
    max: string;
    min_limit: string | null;
    max_limit: string;
    from_now: boolean;
  }[];
  durations: { id: string; field: string; value: string; valid: boolean; reason: string | null; comment: string }[];
  heartbeats: {
    id: string;
    proposed: string | null;
    broker_interval: string;
    sendable: boolean;
    negotiated: string;
    comment: string;
  }[];
  hello_ok_heartbeats: { id: string; announced: string; used: string; comment: string }[];
}

/** Whether a frame vector is positive (has an op) or negative (has an error kind). */
export function isPositive(vector: PositiveVector | NegativeVector): vector is PositiveVector {
  return "op" in vector;
}

/**
 * The wire-vectors directory: `SINEW_WIRE_VECTORS` when set, otherwise the nearest directory
 * above this file that holds `wire-vectors/protocol.json`.
 */
export function wireVectorsDirectory(): string {
  const override = process.env["SINEW_WIRE_VECTORS"];
  if (override !== undefined && override !== "") {
    const directory = resolve(override);
    if (!existsSync(join(directory, "protocol.json"))) {
      throw new Error(`SINEW_WIRE_VECTORS=${override} does not contain protocol.json`);
    }
    return directory;
  }
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, "wire-vectors");
    if (existsSync(join(candidate, "protocol.json"))) return candidate;
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error("no wire-vectors/protocol.json above the test directory; set SINEW_WIRE_VECTORS");
    }
    directory = parent;
  }
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Loads the protocol registry. */
export function loadRegistry(directory = wireVectorsDirectory()): ProtocolRegistry {
  return readJson<ProtocolRegistry>(join(directory, "protocol.json"));
}

/**
 * Reads an expanded companion, replacing each sidecar reference by the hex of its file once its
 * digest and length match. JSON.parse keeps a "__proto__" key as an own property with a reviver too.
 */
export function loadCompanion(path: string): Omit<FrameVectorFile, "fileName"> {
  return JSON.parse(readFileSync(path, "utf8"), (_key, value: Json) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
    const { file, length, sha256, ...rest } = value;
    const isReference = typeof file === "string" && typeof length === "number" && typeof sha256 === "string";
    if (!isReference || Object.keys(rest).length > 0) return value;
    const bytes = readFileSync(join(dirname(path), file));
    if (bytes.byteLength !== length || createHash("sha256").update(bytes).digest("hex") !== sha256) {
      throw new Error(`${file} does not match its digest and length`);
    }
    return bytes.toString("hex");
  }) as Omit<FrameVectorFile, "fileName">;
}

/** Loads the expanded companion of every file under `frames/`, in file-name order. */
export function loadFrameFiles(directory = wireVectorsDirectory()): FrameVectorFile[] {
  const expandedDirectory = join(directory, "frames", "expanded");
  return readdirSync(expandedDirectory)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((fileName) => ({ ...loadCompanion(join(expandedDirectory, fileName)), fileName }));
}

/** Loads `partitioning.json`. */
export function loadPartitioning(directory = wireVectorsDirectory()): PartitioningFile {
  return readJson<PartitioningFile>(join(directory, "partitioning.json"));
}

/** Loads `names.json`. */
export function loadNames(directory = wireVectorsDirectory()): NamesFile {
  return readJson<NamesFile>(join(directory, "names.json"));
}

/** Loads `durations.json`. */
export function loadDurations(directory = wireVectorsDirectory()): DurationsFile {
  return readJson<DurationsFile>(join(directory, "durations.json"));
}

/** The vector with the given id from the frame files, with the frame limit its file sets. */
export function frameVectorById(
  id: string,
  files: FrameVectorFile[] = loadFrameFiles(),
): { vector: PositiveVector | NegativeVector; maxFrameBytes: number } {
  for (const file of files) {
    const vector = file.vectors.find((candidate) => candidate.id === id);
    if (vector !== undefined) return { vector, maxFrameBytes: file.max_frame_bytes };
  }
  throw new Error(`no frame vector ${id}`);
}
