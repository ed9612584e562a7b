// The opcode of every protocol v1 op, and lookups between op names and opcode numbers.

/**
 * The opcode byte (header offset 3) of every op in protocol v1, keyed by op name.
 *
 * Opcodes are append-only: a number is never reused for another op.
 */
export const Opcode = {
  Hello: 0x01,
  HelloOk: 0x02,
  Ping: 0x03,
  Pong: 0x04,
  Goodbye: 0x05,
  GoingAway: 0x06,
  Ok: 0x07,
  Error: 0x08,
  DeclareQueue: 0x10,
  DeclareQueueOk: 0x11,
  DeclareStream: 0x12,
  DeclareStreamOk: 0x13,
  Publish: 0x20,
  PublishBatch: 0x21,
  PublishOk: 0x22,
  Subscribe: 0x30,
  SubscribeStream: 0x31,
  SubscribeOk: 0x32,
  Unsubscribe: 0x33,
  Deliver: 0x34,
  SubscriptionClosed: 0x35,
  AssignmentChanged: 0x36,
  Ack: 0x40,
  Nack: 0x41,
  ExtendLease: 0x42,
  SettleOk: 0x43,
  TopologyRequest: 0x50,
  Topology: 0x51,
  TopologyAck: 0x52,
  Reconcile: 0x53,
  ReconcileOk: 0x54,
} as const;

/** The name of an op, e.g. `"Publish"`. */
export type OpName = keyof typeof Opcode;

/** Every op name, in opcode order. */
export const OP_NAMES: readonly OpName[] = Object.freeze(
  (Object.keys(Opcode) as OpName[]).sort((a, b) => Opcode[a] - Opcode[b]),
);

const opNameByOpcode: ReadonlyMap<number, OpName> = new Map(
  OP_NAMES.map((name) => [Opcode[name], name] as const),
);

/**
 * The op an opcode stands for, or `undefined` when protocol v1 does not define it.
 *
 * @param opcode - the header's opcode byte
 */
export function opNameOf(opcode: number): OpName | undefined {
  return opNameByOpcode.get(opcode);
}
