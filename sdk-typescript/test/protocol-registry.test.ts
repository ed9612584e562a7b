// Golden test: every constant of the codec equals the machine-readable protocol registry
// (wire-vectors/protocol.json), so a change to the protocol cannot slip past this package.

import { describe, expect, it } from "vitest";
import {
  DECODE_ERROR_CODES,
  DECODE_ERROR_KINDS,
  DECODE_ERROR_PRECEDENCE,
  FIELD_ERROR_KINDS,
} from "../src/wire/generated/decode-errors.js";
import { ENUMS } from "../src/wire/generated/enums.js";
import { ERROR_CODES, ErrorCode, errorCodeInfo } from "../src/wire/generated/errors.js";
import { DEFINED_FLAGS_MASK, FRAME_FLAGS, FrameFlags, allowedFlagsFor } from "../src/wire/generated/flags.js";
import { FRAME_HEADER_SIZE, FRAME_MAGIC, SUPPORTED_VERSIONS, readFrameHeader } from "../src/wire/frame-header.js";
import { ProtocolLimits } from "../src/wire/generated/limits.js";
import { OP_NAMES, Opcode, opNameOf } from "../src/wire/generated/opcodes.js";
import { OP_SCHEMAS, RECORD_SCHEMAS, propertyNameOf, type FieldDescriptor } from "../src/wire/schema.js";
import { loadRegistry, type RegistryField } from "./support/vector-files.js";

const TIMEOUT_MS = 10_000;
const registry = loadRegistry();

function describeFields(fields: readonly FieldDescriptor[]) {
  return fields.map((field) => ({ name: field.name, type: field.typeName, optional: field.optional }));
}

function registryFields(fields: readonly RegistryField[]) {
  return fields.map((field) => ({ name: field.name, type: field.type, optional: field.optional === true }));
}

describe("frame header", () => {
  it("has the registry's size, magic and versions", () => {
    expect(FRAME_HEADER_SIZE).toBe(registry.header.size);
    expect(FRAME_MAGIC.toString(16).padStart(4, "0")).toBe(registry.header.magic);
    expect([...SUPPORTED_VERSIONS]).toEqual(registry.versions);
    expect(registry.header.byte_order).toBe("big-endian");
  }, TIMEOUT_MS);

  it("reads every header field at the registry's offset and size, big-endian", () => {
    const propertyOf: Record<string, string> = {
      magic: "magic",
      version: "version",
      opcode: "opcode",
      flags: "flags",
      reserved: "reserved",
      request_id: "requestId",
      body_length: "bodyLength",
    };
    expect(registry.header.fields.map((field) => field.name).sort()).toEqual(Object.keys(propertyOf).sort());
    for (const field of registry.header.fields) {
      // A distinct pattern in this field only, with every other byte zero.
      const bytes = new Uint8Array(registry.header.size);
      let expected = 0;
      for (let index = 0; index < field.size; index++) {
        const byte = 0x11 * (index + 1);
        bytes[field.offset + index] = byte;
        expected = expected * 256 + byte;
      }
      const header = readFrameHeader(bytes) as unknown as Record<string, number>;
      for (const [name, property] of Object.entries(propertyOf)) {
        expect(header[property], `${name} while setting ${field.name}`).toBe(name === field.name ? expected : 0);
      }
    }
  }, TIMEOUT_MS);
});

describe("opcodes", () => {
  it("name the registry's ops with the registry's numbers", () => {
    expect(Object.fromEntries(OP_NAMES.map((name) => [name, Opcode[name]]))).toEqual(
      Object.fromEntries(registry.ops.map((op) => [op.name, op.opcode])),
    );
    for (const op of registry.ops) expect(opNameOf(op.opcode)).toBe(op.name);
  }, TIMEOUT_MS);
});

describe("op and record schemas", () => {
  for (const op of registry.ops) {
    it(`${op.name} has the registry's fields, types and optionality in order, sender and replies`, () => {
      const schema = OP_SCHEMAS[op.name as keyof typeof OP_SCHEMAS];
      expect(schema).toBeDefined();
      expect(describeFields(schema.fields)).toEqual(registryFields(op.fields));
      expect(schema.opcode).toBe(op.opcode);
      expect(schema.from).toBe(op.from);
      expect([...schema.replies]).toEqual(op.replies);
    }, TIMEOUT_MS);
  }

  it("describe no op the registry lacks", () => {
    expect(Object.keys(OP_SCHEMAS).sort()).toEqual(registry.ops.map((op) => op.name).sort());
  }, TIMEOUT_MS);

  for (const [name, fields] of Object.entries(registry.records)) {
    it(`record ${name} has the registry's fields, types and optionality in order`, () => {
      const schema = RECORD_SCHEMAS[name as keyof typeof RECORD_SCHEMAS];
      expect(schema).toBeDefined();
      expect(describeFields(schema.fields)).toEqual(registryFields(fields));
    }, TIMEOUT_MS);
  }

  it("describe no record the registry lacks", () => {
    expect(Object.keys(RECORD_SCHEMAS).sort()).toEqual(Object.keys(registry.records).sort());
  }, TIMEOUT_MS);

  it("name each field's property as the camelCase of its wire name", () => {
    const allFields = [...Object.values(OP_SCHEMAS), ...Object.values(RECORD_SCHEMAS)].flatMap((schema) => schema.fields);
    for (const field of allFields) {
      expect(field.property).toBe(propertyNameOf(field.name));
      expect(field.property).not.toMatch(/_/);
      expect(field.property.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)).toBe(field.name);
    }
  }, TIMEOUT_MS);
});

describe("enums", () => {
  it("have the registry's value names and numbers", () => {
    expect(ENUMS).toEqual(registry.enums);
  }, TIMEOUT_MS);
});

describe("flags", () => {
  it("define the registry's bits, values and allowed ops", () => {
    expect(FRAME_FLAGS.map((flag) => ({ name: flag.name, bit: flag.bit, value: flag.value, ops: [...flag.ops] }))).toEqual(
      registry.flags.map((flag) => ({ name: flag.name, bit: flag.bit, value: flag.value, ops: flag.ops })),
    );
    expect(FrameFlags.Confirm).toBe(registry.flags.find((flag) => flag.name === "confirm")?.value);
    expect(DEFINED_FLAGS_MASK).toBe(registry.flags.reduce((mask, flag) => mask | flag.value, 0));
    for (const op of registry.ops) {
      const allowed = registry.flags.filter((flag) => flag.ops.includes(op.name)).reduce((mask, flag) => mask | flag.value, 0);
      expect(allowedFlagsFor(op.name as keyof typeof Opcode), op.name).toBe(allowed);
    }
  }, TIMEOUT_MS);
});

describe("error codes", () => {
  it("have the registry's names, numbers, retryability and connection closing", () => {
    expect(
      ERROR_CODES.map((entry) => ({
        name: entry.name,
        code: entry.code,
        retryable: entry.retryable,
        closes_connection: entry.closesConnection,
      })),
    ).toEqual(
      registry.errors.map((entry) => ({
        name: entry.name,
        code: entry.code,
        retryable: entry.retryable,
        closes_connection: entry.closes_connection,
      })),
    );
    for (const entry of registry.errors) {
      expect(ErrorCode[entry.name as keyof typeof ErrorCode]).toBe(entry.code);
      expect(errorCodeInfo(entry.code)?.name).toBe(entry.name);
    }
  }, TIMEOUT_MS);
});

describe("decode errors", () => {
  it("are the registry's 12 kinds, each answered with the registry's error code", () => {
    expect(registry.decode_errors).toHaveLength(12);
    expect([...DECODE_ERROR_KINDS].sort()).toEqual(registry.decode_errors.map((entry) => entry.kind).sort());
    expect(DECODE_ERROR_CODES).toEqual(Object.fromEntries(registry.decode_errors.map((entry) => [entry.kind, entry.code])));
  }, TIMEOUT_MS);

  it("are checked in the registry's order of precedence", () => {
    expect([...DECODE_ERROR_PRECEDENCE]).toEqual(registry.decode_error_precedence);
    const ordered = new Set(registry.decode_error_precedence);
    const fieldKinds = registry.decode_errors.map((entry) => entry.kind).filter((kind) => !ordered.has(kind));
    expect([...FIELD_ERROR_KINDS].sort()).toEqual(fieldKinds.sort());
  }, TIMEOUT_MS);
});

describe("limits", () => {
  it("equal the registry's limits and defaults", () => {
    expect(Object.fromEntries(Object.entries(ProtocolLimits).map(([name, value]) => [name, value]))).toEqual(
      Object.fromEntries(Object.entries(registry.limits).map(([name, value]) => [propertyNameOf(name), value])),
    );
  }, TIMEOUT_MS);
});
