// Field descriptors of every op and record of protocol v1, in wire order, resolved from the
// generated definitions: each field's property name, and its type with the enum lookups built.
// The encoder and decoder walk these descriptors, so a field is described exactly once, in the
// protocol registry.

import { OP_DEFINITIONS, RECORD_DEFINITIONS } from "./generated/definitions.js";
import { ENUMS, type EnumName } from "./generated/enums.js";
import type { RecordTypes } from "./generated/messages.js";
import { OP_NAMES, Opcode, type OpName } from "./generated/opcodes.js";

/** The name of a record, e.g. `"PublishMessage"`. */
export type RecordName = keyof RecordTypes;

/** A type that is not built from other types. */
export type ScalarTypeName = "u8" | "u16" | "u32" | "u64" | "bool" | "str" | "bin" | "strmap";

/** A type that can be a list element. */
export type ElementTypeName = ScalarTypeName | `enum:${EnumName}` | `record:${RecordName}`;

/** A field type spelled as in the protocol registry, e.g. `"list:record:NackItem"`. */
export type FieldTypeName = ElementTypeName | `list:${ElementTypeName}`;

/** Which side sends an op. */
export type OpSender = "client" | "server" | "either";

/** A field type, resolved for the codec. */
export type FieldType =
  | { readonly kind: ScalarTypeName }
  | {
      readonly kind: "enum";
      readonly enumName: EnumName;
      /** The wire number of each value name. */
      readonly numbers: ReadonlyMap<string, number>;
      /** The value name of each wire number. */
      readonly names: ReadonlyMap<number, string>;
    }
  | { readonly kind: "record"; readonly recordName: RecordName }
  | { readonly kind: "list"; readonly element: FieldType };

/** One field of an op's body or of a record. */
export interface FieldDescriptor {
  /** The protocol's snake_case name, e.g. `"not_before_ms"`. */
  readonly name: string;
  /** The property holding it in a typed message, e.g. `"notBeforeMs"`. */
  readonly property: string;
  /** The type as spelled in the registry. */
  readonly typeName: FieldTypeName;
  /** The resolved type. */
  readonly type: FieldType;
  /** Whether the field may be absent (nil on the wire). */
  readonly optional: boolean;
}

/** A record: a nested array with its own fields. */
export interface RecordDescriptor {
  readonly name: RecordName;
  readonly fields: readonly FieldDescriptor[];
}

/** An op: its opcode, who sends it, what answers it, and its body fields. */
export interface OpDescriptor {
  readonly name: OpName;
  readonly opcode: number;
  readonly from: OpSender;
  readonly replies: readonly OpName[];
  readonly fields: readonly FieldDescriptor[];
}

/**
 * One field as the registry defines it, the form of the generated definitions: `"name: type"`, or
 * `"name?: type"` when it is optional, e.g. `"not_before_ms?: u64"`.
 */
export type FieldDefinition = `${string}: ${FieldTypeName}`;

/** One op as the registry defines it: the form of the generated definitions. */
export interface OpDefinition {
  readonly from: OpSender;
  readonly replies: readonly OpName[];
  readonly fields: readonly FieldDefinition[];
}

/**
 * The property name of a snake_case wire name: `not_before_ms` becomes `notBeforeMs`.
 *
 * @param name - a field name as the protocol spells it
 */
export function propertyNameOf(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

function resolveType(typeName: string): FieldType {
  if (typeName.startsWith("list:")) {
    return Object.freeze({ kind: "list", element: resolveType(typeName.slice("list:".length)) });
  }
  if (typeName.startsWith("record:")) {
    const recordName = typeName.slice("record:".length);
    if (!Object.hasOwn(RECORD_DEFINITIONS, recordName)) throw new Error(`unknown record ${recordName}`);
    return Object.freeze({ kind: "record", recordName: recordName as RecordName });
  }
  if (typeName.startsWith("enum:")) {
    const enumName = typeName.slice("enum:".length);
    if (!Object.hasOwn(ENUMS, enumName)) throw new Error(`unknown enum ${enumName}`);
    const values = Object.entries(ENUMS[enumName as EnumName]);
    return Object.freeze({
      kind: "enum",
      enumName: enumName as EnumName,
      numbers: new Map(values),
      names: new Map(values.map(([name, number]) => [number, name] as const)),
    });
  }
  return Object.freeze({ kind: typeName as ScalarTypeName });
}

// A name, `?` when optional, `: ` and the type; FieldDefinition already checks the type at compile time.
const FIELD_DEFINITION = /^([a-z][a-z0-9_]*)(\??): (\S+)$/;

function describeField(definition: FieldDefinition): FieldDescriptor {
  const parts = FIELD_DEFINITION.exec(definition);
  if (parts === null) throw new Error(`malformed field definition ${JSON.stringify(definition)}`);
  const [, name = "", optional, typeName = ""] = parts;
  return Object.freeze({
    name,
    property: propertyNameOf(name),
    typeName: typeName as FieldTypeName,
    type: resolveType(typeName),
    optional: optional === "?",
  });
}

function describeFields(definitions: readonly FieldDefinition[]): readonly FieldDescriptor[] {
  return Object.freeze(definitions.map(describeField));
}

/** The descriptor of every record, keyed by record name. */
export const RECORD_SCHEMAS: Readonly<Record<RecordName, RecordDescriptor>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(RECORD_DEFINITIONS) as RecordName[]).map((name) => [
      name,
      Object.freeze({ name, fields: describeFields(RECORD_DEFINITIONS[name]) }),
    ]),
  ) as Record<RecordName, RecordDescriptor>,
);

/** The descriptor of every op, keyed by op name. */
export const OP_SCHEMAS: Readonly<Record<OpName, OpDescriptor>> = Object.freeze(
  Object.fromEntries(
    OP_NAMES.map((name) => {
      const definition: OpDefinition = OP_DEFINITIONS[name];
      const descriptor: OpDescriptor = Object.freeze({
        name,
        opcode: Opcode[name],
        from: definition.from,
        replies: Object.freeze([...definition.replies]),
        fields: describeFields(definition.fields),
      });
      return [name, descriptor];
    }),
  ) as Record<OpName, OpDescriptor>,
);
