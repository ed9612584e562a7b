// Turns a frame body into a typed message, applying the protocol's liberal decoding rules and
// reporting the first structure or field error in the order the protocol prescribes.

import { FrameDecodeError } from "./decode-error.js";
import type { FrameHeader } from "./frame-header.js";
import type { DecodeErrorKind } from "./generated/decode-errors.js";
import { ProtocolLimits } from "./generated/limits.js";
import type { WireMessage } from "./generated/messages.js";
import { isExtension, nestingDepth, rawStringDecoder, valueDecoder } from "./msgpack.js";
import { RECORD_SCHEMAS, type FieldDescriptor, type FieldType, type OpDescriptor } from "./schema.js";
import { decodeUtf8Strict } from "./utf8.js";

const MAX_UINT64 = (1n << 64n) - 1n;
const unsignedMaximum = { u8: 0xff, u16: 0xffff, u32: 0xffff_ffff } as const;

/**
 * Decodes the body of a frame whose op is `op`.
 *
 * @param op - the op named by the header's opcode
 * @param body - exactly the frame's body bytes
 * @param header - the frame's header, attached to any error
 * @throws FrameDecodeError `malformed_body`, `trailing_bytes`, or a field error
 */
export function decodeBody(op: OpDescriptor, body: Uint8Array, header: FrameHeader): WireMessage {
  const value = decodeSingleValue(body, header);
  const reader = new BodyFieldReader(body, header, op.name);
  return reader.readBody(op, value) as unknown as WireMessage;
}

// The body must be exactly one MessagePack value, nested no deeper than the protocol allows.
// decodeMulti lets the codec tell "the value is cut short or invalid" from "bytes follow a
// complete value" without reading error messages.
function decodeSingleValue(body: Uint8Array, header: FrameHeader): unknown {
  if (body.byteLength === 0) {
    throw new FrameDecodeError("malformed_body", "the body is empty; an op without fields has the body 0x90", {
      header,
    });
  }
  const values = valueDecoder.decodeMulti(body);
  // The generator must always be closed: while it is suspended the shared decoder counts as busy,
  // and the library then decodes with a copy that loses the map key handling set up in msgpack.ts.
  try {
    let value: unknown;
    try {
      const first = values.next();
      if (first.done === true) throw new RangeError("no MessagePack value in the body");
      value = first.value;
    } catch (cause) {
      throw new FrameDecodeError("malformed_body", "the body is not a well-formed MessagePack value", {
        cause,
        header,
      });
    }
    if (nestingDepth(value, ProtocolLimits.maxNestingDepth) > ProtocolLimits.maxNestingDepth) {
      throw new FrameDecodeError(
        "malformed_body",
        `arrays and maps nest more than ${ProtocolLimits.maxNestingDepth} levels deep in the body`,
        { header },
      );
    }
    let trailing: boolean;
    try {
      trailing = values.next().done !== true;
    } catch {
      trailing = true;
    }
    if (trailing) {
      throw new FrameDecodeError("trailing_bytes", "bytes remain in the body after its MessagePack value", {
        header,
      });
    }
    return value;
  } finally {
    values.return(undefined);
  }
}

type PathSegment = string | number;

/**
 * Walks a decoded body along the schema, field by field and depth first, so the first error
 * found is the one the protocol says to report.
 */
class BodyFieldReader {
  // The wire position (array indices) and the readable position (field names and list
  // indices) of the value being read; pushed and popped as the walk descends.
  private readonly wireIndices: number[] = [];
  private readonly labels: PathSegment[] = [];
  private rawBody: unknown;
  private rawBodyDecoded = false;

  constructor(
    private readonly body: Uint8Array,
    private readonly header: FrameHeader,
    private readonly opName: string,
  ) {}

  readBody(op: OpDescriptor, value: unknown): Record<string, unknown> {
    return this.readRecord(op.fields, value, { op: op.name });
  }

  private readRecord(
    fields: readonly FieldDescriptor[],
    value: unknown,
    record: Record<string, unknown> = {},
  ): Record<string, unknown> {
    if (!Array.isArray(value)) this.fail("wrong_type", `expected an array, got ${wireTypeOf(value)}`);
    // Elements past the known fields belong to a newer protocol revision and are skipped.
    fields.forEach((field, index) => {
      this.enter(index, field.property);
      const element: unknown = index < value.length ? value[index] : undefined;
      if (element === undefined || element === null) {
        if (!field.optional) this.fail("missing_field", "required field is absent or nil");
      } else {
        record[field.property] = this.readValue(field.type, element);
      }
      this.leave();
    });
    return record;
  }

  private readValue(type: FieldType, value: unknown): unknown {
    switch (type.kind) {
      case "u8":
      case "u16":
      case "u32":
        return this.readUnsigned(value, unsignedMaximum[type.kind], type.kind);
      case "u64":
        return this.readUint64(value);
      case "bool":
        if (typeof value !== "boolean") this.fail("wrong_type", `expected bool, got ${wireTypeOf(value)}`);
        return value;
      case "str":
        return this.readString(value);
      case "bin":
        if (!(value instanceof Uint8Array)) this.fail("wrong_type", `expected bin, got ${wireTypeOf(value)}`);
        // A copy, so the message does not keep the frame's buffer alive or change with it.
        return value.slice();
      case "strmap":
        return this.readStringMap(value);
      case "enum": {
        const number = this.readEnumNumber(value);
        const name = number === undefined ? undefined : type.names.get(number);
        if (name === undefined) this.fail("invalid_value", `${String(value)} is not a value of ${type.enumName}`);
        return name;
      }
      case "record":
        return this.readRecord(RECORD_SCHEMAS[type.recordName].fields, value);
      case "list":
        return this.readList(type.element, value);
    }
  }

  private readList(elementType: FieldType, value: unknown): unknown[] {
    if (!Array.isArray(value)) this.fail("wrong_type", `expected an array, got ${wireTypeOf(value)}`);
    return value.map((element: unknown, index) => {
      this.enter(index, index);
      if (element === null || element === undefined) this.fail("missing_field", "list element is nil");
      const decoded = this.readValue(elementType, element);
      this.leave();
      return decoded;
    });
  }

  // A string map is an array of alternating keys and values. Its shape is checked before its
  // elements; then each pair in order: the key, the value, and last whether the key repeats.
  private readStringMap(value: unknown): Map<string, string> {
    if (!Array.isArray(value)) this.fail("wrong_type", `expected a string map (array), got ${wireTypeOf(value)}`);
    if (value.length % 2 !== 0) this.fail("invalid_value", `a string map needs an even number of elements, got ${value.length}`);
    const map = new Map<string, string>();
    for (let index = 0; index < value.length; index += 2) {
      this.enter(index, index);
      const key = this.readMapElement(value[index]);
      this.leave();
      this.enter(index + 1, index + 1);
      const element = this.readMapElement(value[index + 1]);
      this.leave();
      this.enter(index, index);
      if (map.has(key)) this.fail("invalid_value", `duplicate key ${JSON.stringify(key)}`);
      this.leave();
      map.set(key, element);
    }
    return map;
  }

  private readMapElement(element: unknown): string {
    if (element === null || element === undefined) this.fail("missing_field", "string map element is nil");
    return this.readString(element);
  }

  private readString(value: unknown): string {
    if (typeof value !== "string") this.fail("wrong_type", `expected str, got ${wireTypeOf(value)}`);
    const raw = this.rawValueHere();
    const text = raw instanceof Uint8Array ? decodeUtf8Strict(raw) : undefined;
    if (text === undefined) this.fail("invalid_value", "str is not valid UTF-8");
    return text;
  }

  // A non-negative integer of any width. @msgpack/msgpack decodes an integral float (5.0) to
  // the same number as the integer 5, so only non-integral floats are detected as wrong_type.
  private readUnsignedInteger(value: unknown, typeName: string): number | bigint {
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) this.fail("wrong_type", `expected an integer (${typeName}), got a float`);
      if (value < 0) this.fail("wrong_type", `expected an unsigned integer (${typeName}), got ${value}`);
      return value;
    }
    if (typeof value === "bigint") {
      if (value < 0n) this.fail("wrong_type", `expected an unsigned integer (${typeName}), got ${value}`);
      return value;
    }
    return this.fail("wrong_type", `expected an integer (${typeName}), got ${wireTypeOf(value)}`);
  }

  private readUnsigned(value: unknown, maximum: number, typeName: string): number {
    const integer = this.readUnsignedInteger(value, typeName);
    if (integer > maximum) this.fail("wrong_type", `${integer} is outside the ${typeName} range`);
    return Number(integer);
  }

  private readUint64(value: unknown): bigint {
    const integer = BigInt(this.readUnsignedInteger(value, "u64"));
    if (integer > MAX_UINT64) this.fail("wrong_type", `${integer} is outside the u64 range`);
    return integer;
  }

  private readEnumNumber(value: unknown): number | undefined {
    const integer = this.readUnsignedInteger(value, "enum");
    return integer <= Number.MAX_SAFE_INTEGER ? Number(integer) : undefined;
  }

  // The raw bytes of the str being read, from a second decode that keeps strs as bytes. It is
  // done at most once per body, and only when a str is read.
  private rawValueHere(): unknown {
    if (!this.rawBodyDecoded) {
      this.rawBody = rawStringDecoder.decode(this.body);
      this.rawBodyDecoded = true;
    }
    let node: unknown = this.rawBody;
    for (const index of this.wireIndices) {
      node = Array.isArray(node) ? (node[index] as unknown) : undefined;
    }
    return node;
  }

  private enter(wireIndex: number, label: PathSegment): void {
    this.wireIndices.push(wireIndex);
    this.labels.push(label);
  }

  private leave(): void {
    this.wireIndices.pop();
    this.labels.pop();
  }

  private fail(kind: DecodeErrorKind, detail: string): never {
    const field = formatPath(this.labels);
    const where = field === "" ? this.opName : `${this.opName}.${field}`;
    throw new FrameDecodeError(kind, `${where}: ${detail}`, { header: this.header, field });
  }
}

function formatPath(labels: readonly PathSegment[]): string {
  let path = "";
  for (const label of labels) {
    if (typeof label === "number") path += `[${label}]`;
    else path += path === "" ? label : `.${label}`;
  }
  return path;
}

function wireTypeOf(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "bin";
  if (isExtension(value)) return `extension type ${value.type}`;
  switch (typeof value) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "bigint":
      return value < 0n ? "negative integer" : "integer";
    case "number":
      if (!Number.isInteger(value)) return "float";
      return value < 0 ? "negative integer" : "integer";
    case "object":
      return "map";
    default:
      return typeof value;
  }
}
