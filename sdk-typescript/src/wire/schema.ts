// Field descriptors of every op and record of protocol v1, in wire order. The encoder and
// decoder are driven by these tables, so a field is described exactly once.

import { ENUMS, type EnumName } from "./enums.js";
import type { RecordTypes } from "./messages.js";
import { OP_NAMES, Opcode, type OpName } from "./opcodes.js";

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

interface FieldDefinition {
  readonly name: string;
  readonly type: FieldTypeName;
  readonly optional: boolean;
}

interface OpDefinition {
  readonly from: OpSender;
  readonly replies: readonly OpName[];
  readonly fields: readonly FieldDefinition[];
}

function required<const N extends string, const T extends FieldTypeName>(name: N, type: T) {
  return { name, type, optional: false } as const;
}

function optional<const N extends string, const T extends FieldTypeName>(name: N, type: T) {
  return { name, type, optional: true } as const;
}

const RECORD_DEFINITIONS = {
  Auth: [required("mechanism", "enum:AuthMechanism"), required("identity", "str"), required("secret", "str")],
  Limits: [
    required("max_frame_bytes", "u32"),
    required("max_batch_messages", "u32"),
    required("max_headers", "u32"),
    required("max_prefetch", "u32"),
  ],
  DeadLetterPolicy: [required("kind", "enum:DeadLetterKind"), optional("topic", "str"), optional("group", "str")],
  Retention: [optional("max_age_ms", "u64"), optional("max_bytes", "u64"), optional("max_records", "u64")],
  StreamStart: [required("kind", "enum:StreamStartKind"), optional("value", "u64")],
  ConsumerGroup: [optional("member_id", "str"), optional("consumer_target", "u32")],
  PublishMessage: [
    required("payload", "bin"),
    optional("content_type", "str"),
    optional("headers", "strmap"),
    optional("partition_key", "bin"),
    optional("partition", "u32"),
    optional("not_before_ms", "u64"),
    optional("delay_ms", "u64"),
    optional("ttl_ms", "u64"),
    optional("producer_id", "str"),
    optional("sequence", "u64"),
  ],
  PublishResult: [required("partition", "u32"), required("offset", "u64"), required("duplicate", "bool")],
  DeliveredMessage: [
    required("delivery_id", "u64"),
    required("partition", "u32"),
    required("offset", "u64"),
    required("attempt", "u32"),
    required("published_at_ms", "u64"),
    required("payload", "bin"),
    optional("content_type", "str"),
    optional("headers", "strmap"),
  ],
  NackItem: [
    required("delivery_id", "u64"),
    required("requeue", "bool"),
    optional("not_before_ms", "u64"),
    optional("delay_ms", "u64"),
    optional("reason", "str"),
  ],
  LeaseExtension: [required("delivery_id", "u64"), optional("extend_ms", "u64")],
  SettleFailure: [required("delivery_id", "u64"), required("code", "u16")],
  BrokerInfo: [required("broker_id", "str"), required("endpoints", "list:str")],
  ChannelInfo: [
    required("kind", "enum:ChannelKind"),
    required("topic", "str"),
    optional("group", "str"),
    required("partitions", "u32"),
    required("routing_version", "u64"),
    optional("owners", "list:u32"),
  ],
  ReconcileEntry: [
    required("subscription_id", "u64"),
    required("kind", "enum:ChannelKind"),
    required("topic", "str"),
    optional("group", "str"),
    optional("partition", "u32"),
    required("ack_mode", "enum:AckMode"),
    required("prefetch", "u32"),
    optional("cursor", "str"),
  ],
  ReconcileResult: [
    required("subscription_id", "u64"),
    required("outcome", "enum:ReconcileOutcome"),
    optional("new_subscription_id", "u64"),
  ],
} as const satisfies Record<RecordName, readonly FieldDefinition[]>;

const OP_DEFINITIONS = {
  Hello: {
    from: "client",
    replies: ["HelloOk", "Error"],
    fields: [
      required("min_version", "u8"),
      required("max_version", "u8"),
      required("client_name", "str"),
      required("client_version", "str"),
      optional("auth", "record:Auth"),
      optional("resume_token", "bin"),
      optional("heartbeat_ms", "u64"),
    ],
  },
  HelloOk: {
    from: "server",
    replies: [],
    fields: [
      required("version", "u8"),
      required("server_id", "str"),
      required("server_version", "str"),
      required("session_id", "str"),
      required("resume_token", "bin"),
      required("resumed", "bool"),
      required("heartbeat_ms", "u64"),
      required("limits", "record:Limits"),
    ],
  },
  Ping: { from: "either", replies: ["Pong"], fields: [] },
  Pong: { from: "either", replies: [], fields: [] },
  Goodbye: { from: "client", replies: ["Ok"], fields: [] },
  GoingAway: {
    from: "server",
    replies: [],
    fields: [required("deadline_at_ms", "u64"), required("message", "str"), optional("reconnect_to", "str")],
  },
  Ok: { from: "server", replies: [], fields: [] },
  Error: {
    from: "server",
    replies: [],
    fields: [
      required("code", "u16"),
      required("retryable", "bool"),
      required("message", "str"),
      optional("details", "strmap"),
    ],
  },
  DeclareQueue: {
    from: "client",
    replies: ["DeclareQueueOk", "Error"],
    fields: [
      required("topic", "str"),
      optional("group", "str"),
      optional("partitions", "u32"),
      optional("dead_letter", "record:DeadLetterPolicy"),
      optional("max_retries", "u32"),
      optional("default_ttl_ms", "u64"),
      optional("lease_ms", "u64"),
    ],
  },
  DeclareQueueOk: {
    from: "server",
    replies: [],
    fields: [
      required("created", "bool"),
      required("partitions", "u32"),
      required("dead_letter", "record:DeadLetterPolicy"),
      required("max_retries", "u32"),
      optional("default_ttl_ms", "u64"),
      required("lease_ms", "u64"),
    ],
  },
  DeclareStream: {
    from: "client",
    replies: ["DeclareStreamOk", "Error"],
    fields: [
      required("topic", "str"),
      optional("group", "str"),
      optional("partitions", "u32"),
      optional("durability", "enum:StreamDurability"),
      optional("retention", "record:Retention"),
    ],
  },
  DeclareStreamOk: {
    from: "server",
    replies: [],
    fields: [
      required("created", "bool"),
      required("partitions", "u32"),
      required("durability", "enum:StreamDurability"),
      required("retention", "record:Retention"),
    ],
  },
  Publish: {
    from: "client",
    replies: ["PublishOk", "Error"],
    fields: [
      required("topic", "str"),
      optional("group", "str"),
      required("message", "record:PublishMessage"),
      optional("routing_version", "u64"),
    ],
  },
  PublishBatch: {
    from: "client",
    replies: ["PublishOk", "Error"],
    fields: [
      required("topic", "str"),
      optional("group", "str"),
      required("messages", "list:record:PublishMessage"),
      optional("routing_version", "u64"),
    ],
  },
  PublishOk: { from: "server", replies: [], fields: [required("results", "list:record:PublishResult")] },
  Subscribe: {
    from: "client",
    replies: ["SubscribeOk", "Error"],
    fields: [
      required("topic", "str"),
      optional("group", "str"),
      optional("partition", "u32"),
      required("ack_mode", "enum:AckMode"),
      required("prefetch", "u32"),
      optional("consumer_group", "record:ConsumerGroup"),
    ],
  },
  SubscribeStream: {
    from: "client",
    replies: ["SubscribeOk", "Error"],
    fields: [
      required("topic", "str"),
      optional("group", "str"),
      optional("partition", "u32"),
      required("ack_mode", "enum:AckMode"),
      required("prefetch", "u32"),
      optional("cursor", "str"),
      optional("start", "record:StreamStart"),
      optional("filters", "strmap"),
    ],
  },
  SubscribeOk: {
    from: "server",
    replies: [],
    fields: [required("subscription_id", "u64"), required("partitions", "list:u32")],
  },
  Unsubscribe: { from: "client", replies: ["Ok", "Error"], fields: [required("subscription_id", "u64")] },
  Deliver: {
    from: "server",
    replies: [],
    fields: [required("subscription_id", "u64"), required("messages", "list:record:DeliveredMessage")],
  },
  SubscriptionClosed: {
    from: "server",
    replies: [],
    fields: [required("subscription_id", "u64"), required("reason", "enum:CloseReason"), required("message", "str")],
  },
  AssignmentChanged: {
    from: "server",
    replies: [],
    fields: [required("subscription_id", "u64"), required("generation", "u64"), required("partitions", "list:u32")],
  },
  Ack: { from: "client", replies: ["SettleOk", "Error"], fields: [required("delivery_ids", "list:u64")] },
  Nack: { from: "client", replies: ["SettleOk", "Error"], fields: [required("items", "list:record:NackItem")] },
  ExtendLease: {
    from: "client",
    replies: ["SettleOk", "Error"],
    fields: [required("items", "list:record:LeaseExtension")],
  },
  SettleOk: { from: "server", replies: [], fields: [required("failures", "list:record:SettleFailure")] },
  TopologyRequest: { from: "client", replies: ["Topology", "Error"], fields: [] },
  Topology: {
    from: "server",
    replies: [],
    fields: [
      required("generation", "u64"),
      required("brokers", "list:record:BrokerInfo"),
      required("channels", "list:record:ChannelInfo"),
    ],
  },
  TopologyAck: { from: "client", replies: [], fields: [required("generation", "u64")] },
  Reconcile: {
    from: "client",
    replies: ["ReconcileOk", "Error"],
    fields: [required("policy", "enum:ReconcilePolicy"), required("subscriptions", "list:record:ReconcileEntry")],
  },
  ReconcileOk: { from: "server", replies: [], fields: [required("results", "list:record:ReconcileResult")] },
} as const satisfies Record<OpName, OpDefinition>;

/** The literal types of the op definitions, for compile-time checks of the message types. */
export type OpDefinitions = typeof OP_DEFINITIONS;

/** The literal types of the record definitions, for compile-time checks of the message types. */
export type RecordDefinitions = typeof RECORD_DEFINITIONS;

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

function describeFields(definitions: readonly FieldDefinition[]): readonly FieldDescriptor[] {
  return Object.freeze(
    definitions.map((definition) =>
      Object.freeze({
        name: definition.name,
        property: propertyNameOf(definition.name),
        typeName: definition.type,
        type: resolveType(definition.type),
        optional: definition.optional,
      }),
    ),
  );
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
