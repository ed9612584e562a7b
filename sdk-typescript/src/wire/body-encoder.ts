// Turns a typed message into its canonical MessagePack body: every known field written (nil for
// an absent optional), shortest integer and length forms, string maps sorted by UTF-8 bytes.

import type { WireMessage } from "./generated/messages.js";
import { bodyEncoder } from "./msgpack.js";
import { RECORD_SCHEMAS, type FieldDescriptor, type FieldType, type OpDescriptor } from "./schema.js";
import { compareByCodePoint, isWellFormed } from "./utf8.js";

const MAX_UINT64 = (1n << 64n) - 1n;
const UINT32_LIMIT = 1n << 32n;

const unsignedMaximum = { u8: 0xff, u16: 0xffff, u32: 0xffff_ffff } as const;

/**
 * Encodes the body of a message whose op is described by `op`. The returned bytes are a view
 * of the shared encoder's buffer: copy them before encoding anything else.
 *
 * @throws TypeError when a field is missing or has the wrong JavaScript type
 * @throws RangeError when a value is outside its field's range or not encodable as UTF-8
 */
export function encodeBodyShared(op: OpDescriptor, message: WireMessage): Uint8Array {
  const tree = toWireRecord(op.fields, message, op.name);
  return bodyEncoder.encodeSharedRef(tree);
}

function toWireRecord(fields: readonly FieldDescriptor[], source: unknown, path: string): unknown[] {
  if (typeof source !== "object" || source === null || Array.isArray(source)) {
    throw new TypeError(`${path}: expected an object, got ${describe(source)}`);
  }
  const values = source as Record<string, unknown>;
  return fields.map((field) => {
    const value = values[field.property];
    const fieldPath = `${path}.${field.property}`;
    if (value === undefined || value === null) {
      if (field.optional) return null;
      throw new TypeError(`${fieldPath}: required field is missing`);
    }
    return toWireValue(field.type, value, fieldPath);
  });
}

function toWireValue(type: FieldType, value: unknown, path: string): unknown {
  switch (type.kind) {
    case "u8":
    case "u16":
    case "u32":
      return toUnsigned(value, unsignedMaximum[type.kind], type.kind, path);
    case "u64":
      return toUint64(value, path);
    case "bool":
      if (typeof value !== "boolean") throw new TypeError(`${path}: expected a boolean, got ${describe(value)}`);
      return value;
    case "str":
      return toWireString(value, path);
    case "bin":
      if (!(value instanceof Uint8Array)) throw new TypeError(`${path}: expected a Uint8Array, got ${describe(value)}`);
      return value;
    case "strmap":
      return toWireStringMap(value, path);
    case "enum": {
      const number = typeof value === "string" ? type.numbers.get(value) : undefined;
      if (number === undefined) {
        throw new RangeError(`${path}: ${describe(value)} is not a value of ${type.enumName}`);
      }
      return number;
    }
    case "record":
      return toWireRecord(RECORD_SCHEMAS[type.recordName].fields, value, path);
    case "list":
      if (!Array.isArray(value)) throw new TypeError(`${path}: expected an array, got ${describe(value)}`);
      return value.map((element: unknown, index) => {
        const elementPath = `${path}[${index}]`;
        if (element === undefined || element === null) {
          throw new TypeError(`${elementPath}: list elements cannot be absent`);
        }
        return toWireValue(type.element, element, elementPath);
      });
  }
}

function toUnsigned(value: unknown, maximum: number, typeName: string, path: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${path}: expected an integer number (${typeName}), got ${describe(value)}`);
  }
  if (value < 0 || value > maximum) {
    throw new RangeError(`${path}: ${value} is outside the ${typeName} range 0..${maximum}`);
  }
  return value;
}

function toUint64(value: unknown, path: string): number | bigint {
  if (typeof value !== "bigint") throw new TypeError(`${path}: expected a bigint (u64), got ${describe(value)}`);
  if (value < 0n || value > MAX_UINT64) throw new RangeError(`${path}: ${value} is outside the u64 range`);
  // The shortest form of a value below 2^32 is a fixint or uint 8/16/32, which the encoder only
  // picks for numbers; from 2^32 up the shortest form is uint64, which it writes for bigints.
  return value < UINT32_LIMIT ? Number(value) : value;
}

function toWireString(value: unknown, path: string): string {
  if (typeof value !== "string") throw new TypeError(`${path}: expected a string, got ${describe(value)}`);
  if (!isWellFormed(value)) throw new RangeError(`${path}: the string has a lone surrogate and is not valid UTF-8`);
  return value;
}

function toWireStringMap(value: unknown, path: string): string[] {
  if (!(value instanceof Map)) throw new TypeError(`${path}: expected a Map<string, string>, got ${describe(value)}`);
  const entries: [string, string][] = [];
  for (const [key, entryValue] of value as Map<unknown, unknown>) {
    const keyText = toWireString(key, `${path} key`);
    entries.push([keyText, toWireString(entryValue, `${path}[${JSON.stringify(keyText)}]`)]);
  }
  entries.sort(([left], [right]) => compareByCodePoint(left, right));
  return entries.flat();
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "a Uint8Array";
  if (value instanceof Map) return "a Map";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case "number":
    case "bigint":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    default:
      return typeof value;
  }
}
