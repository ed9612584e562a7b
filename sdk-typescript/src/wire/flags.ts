// Header flag bits, and which ops each flag is allowed on.

import type { OpName } from "./opcodes.js";

/**
 * The flag bits of the frame header (offset 4, 16 bits). Every bit not listed here is
 * undefined in protocol v1 and must be zero.
 */
export const FrameFlags = {
  /** Bit 0: the sender wants a `PublishOk` once every message of the frame is durable. */
  Confirm: 0x0001,
} as const;

/** The name of a defined flag, as the protocol registry spells it. */
export type FrameFlagName = "confirm";

/** One defined flag: its name, bit, value and the ops that may carry it. */
export interface FrameFlagInfo {
  readonly name: FrameFlagName;
  readonly bit: number;
  readonly value: number;
  readonly ops: readonly OpName[];
}

/** Every defined flag, in bit order. */
export const FRAME_FLAGS: readonly FrameFlagInfo[] = Object.freeze([
  Object.freeze({
    name: "confirm",
    bit: 0,
    value: FrameFlags.Confirm,
    ops: Object.freeze(["Publish", "PublishBatch"] as const),
  }),
]);

/** The union of every defined flag bit. */
export const DEFINED_FLAGS_MASK: number = FRAME_FLAGS.reduce((mask, flag) => mask | flag.value, 0);

/**
 * The flag bits an op may carry: the union of the values of every flag allowed on it.
 *
 * @param op - the op the frame carries
 */
export function allowedFlagsFor(op: OpName): number {
  let mask = 0;
  for (const flag of FRAME_FLAGS) {
    if (flag.ops.includes(op)) mask |= flag.value;
  }
  return mask;
}
