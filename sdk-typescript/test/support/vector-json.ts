// Converting between the vectors' JSON form of a message and typed messages, driven by the
// codec's field descriptors: u64 as decimal strings, bin as hex, string maps as objects, enums
// by name, absent optionals as null.

import type { WireMessage } from "../../src/wire/generated/messages.js";
import type { OpName } from "../../src/wire/generated/opcodes.js";
import { OP_SCHEMAS, RECORD_SCHEMAS, type FieldDescriptor, type FieldType } from "../../src/wire/schema.js";
import { fromHex, toHex } from "./bytes.js";
import type { Json } from "./vector-files.js";

type JsonObject = { [key: string]: Json };

function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function opSchema(opName: string) {
  if (!Object.hasOwn(OP_SCHEMAS, opName)) throw new Error(`unknown op ${opName}`);
  return OP_SCHEMAS[opName as OpName];
}

/**
 * Builds the typed message a vector describes. The JSON must name every field of the op, as
 * the vector format requires, and nothing else.
 */
export function messageFromJson(opName: string, fields: JsonObject): WireMessage {
  const schema = opSchema(opName);
  return recordFromJson(schema.fields, fields, opName, { op: schema.name }) as unknown as WireMessage;
}

function recordFromJson(
  fields: readonly FieldDescriptor[],
  json: Json,
  path: string,
  target: Record<string, unknown> = {},
): Record<string, unknown> {
  if (!isJsonObject(json)) throw new Error(`${path}: expected an object`);
  const known = new Set(fields.map((field) => field.name));
  for (const key of Object.keys(json)) {
    if (!known.has(key)) throw new Error(`${path}: unknown field ${key}`);
  }
  for (const field of fields) {
    if (!Object.hasOwn(json, field.name)) throw new Error(`${path}.${field.name}: missing from the JSON`);
    const value = json[field.name] as Json;
    if (value === null) {
      if (!field.optional) throw new Error(`${path}.${field.name}: required field is null`);
      continue;
    }
    target[field.property] = valueFromJson(field.type, value, `${path}.${field.name}`);
  }
  return target;
}

function valueFromJson(type: FieldType, json: Json, path: string): unknown {
  switch (type.kind) {
    case "u8":
    case "u16":
    case "u32":
      if (typeof json !== "number" || !Number.isInteger(json)) throw new Error(`${path}: expected an integer`);
      return json;
    case "u64":
      if (typeof json !== "string" || !/^[0-9]+$/.test(json)) throw new Error(`${path}: expected a decimal string`);
      return BigInt(json);
    case "bool":
      if (typeof json !== "boolean") throw new Error(`${path}: expected a boolean`);
      return json;
    case "str":
      if (typeof json !== "string") throw new Error(`${path}: expected a string`);
      return json;
    case "bin":
      if (typeof json !== "string") throw new Error(`${path}: expected a hex string`);
      return fromHex(json);
    case "strmap": {
      if (!isJsonObject(json)) throw new Error(`${path}: expected an object`);
      // Object.entries keeps own keys such as "__proto__" that JSON.parse created as data.
      return new Map(
        Object.entries(json).map(([key, value]) => {
          if (typeof value !== "string") throw new Error(`${path}.${key}: expected a string`);
          return [key, value] as const;
        }),
      );
    }
    case "enum":
      if (typeof json !== "string" || !type.numbers.has(json)) throw new Error(`${path}: not a ${type.enumName}`);
      return json;
    case "record":
      return recordFromJson(RECORD_SCHEMAS[type.recordName].fields, json, path);
    case "list":
      if (!Array.isArray(json)) throw new Error(`${path}: expected an array`);
      return json.map((element, index) => valueFromJson(type.element, element, `${path}[${index}]`));
  }
}

/** The vectors' JSON form of a typed message: every field present, absent optionals as null. */
export function messageToJson(message: WireMessage): JsonObject {
  return recordToJson(opSchema(message.op).fields, message as unknown as Record<string, unknown>);
}

function recordToJson(fields: readonly FieldDescriptor[], record: Record<string, unknown>): JsonObject {
  return Object.fromEntries(
    fields.map((field) => {
      const value = record[field.property];
      return [field.name, value === undefined ? null : valueToJson(field.type, value)];
    }),
  );
}

function valueToJson(type: FieldType, value: unknown): Json {
  switch (type.kind) {
    case "u64":
      return (value as bigint).toString();
    case "bin":
      return toHex(value as Uint8Array);
    case "strmap":
      // fromEntries defines own data properties, so a "__proto__" key stays an ordinary key.
      return Object.fromEntries(value as Map<string, string>);
    case "record":
      return recordToJson(RECORD_SCHEMAS[type.recordName].fields, value as Record<string, unknown>);
    case "list":
      return (value as unknown[]).map((element) => valueToJson(type.element, element));
    default:
      return value as Json;
  }
}
