// Locating and loading the shared wire-vector files: the protocol registry, the frame vectors,
// the partitioning vectors and the name vectors.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** A byte template: a hex string, a generated run, or a concatenation of templates. */
export type ByteTemplate = string | { generate: "mod251"; length: number } | ByteTemplate[];

/** A JSON value as the vector files hold it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PositiveVector {
  id: string;
  comment: string;
  tags: string[];
  op: string;
  header: { version: number; flags: number; request_id: number };
  fields: { [key: string]: Json };
  hex: ByteTemplate;
  canonical_hex?: ByteTemplate;
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

/** Loads every file under `frames/`, in file-name order. */
export function loadFrameFiles(directory = wireVectorsDirectory()): FrameVectorFile[] {
  const framesDirectory = join(directory, "frames");
  return readdirSync(framesDirectory)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((fileName) => ({ ...readJson<Omit<FrameVectorFile, "fileName">>(join(framesDirectory, fileName)), fileName }));
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
