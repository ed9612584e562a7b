// The MessagePack encoder and decoders the codec uses, configured once for the protocol's
// needs. All MessagePack work goes through @msgpack/msgpack.

import { Decoder, Encoder, ExtData, ExtensionCodec, type DecoderOptions } from "@msgpack/msgpack";

// The timestamp extension (type -1) is built into @msgpack/msgpack. Replacing its decoder makes
// a timestamp arrive as ExtData, so it is rejected as wrong_type like any other extension rather
// than turning into a Date. MessagePack defines the timestamp only with 4, 8 or 12 bytes; any
// other length is not a MessagePack value at all, so decoding fails and the body is malformed.
const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: -1,
  encode: () => null,
  decode: (data, type) => {
    if (data.byteLength !== 4 && data.byteLength !== 8 && data.byteLength !== 12) {
      throw new RangeError(`a timestamp extension of ${data.byteLength} bytes is not a MessagePack value`);
    }
    return new ExtData(type, data);
  },
});

// A MessagePack map is never valid in a body, but it must still decode: the library throws on
// keys that are not strings or integers and on the key "__proto__", which would report a
// well-formed map as a malformed body, and it keeps only the last of duplicate keys, which
// would hide the nesting below the others. So string keys are not decoded at all, and every key
// becomes a unique placeholder that records how deeply the key itself nests, as
// "<depth>:<sequence>".
const ignoredMapKeys: NonNullable<DecoderOptions["keyDecoder"]> = {
  canBeCached: () => true,
  decode: () => "",
};
let mapKeySequence = 0;
const placeholderMapKey = (key: unknown): string => `${nestingDepth(key)}:${mapKeySequence++}`;

// A key that is not a placeholder would mean the decoder ran without the converter above; it
// counts as too deep, so that mistake rejects bodies instead of letting nesting through.
function placeholderKeyDepth(key: string): number {
  const match = /^(\d+):\d+$/.exec(key);
  return match === null ? Number.POSITIVE_INFINITY : Number(match[1]);
}

function isDecodedMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * How deeply arrays and maps nest in a decoded value: 0 for a scalar, and for an array or map
 * one more than its deepest element or key. Counting stops once it passes `limit`.
 *
 * The walk is iterative, so hostile input cannot exhaust the call stack here. (The library
 * builds the nested value before it can be measured; it uses an explicit stack as well.)
 */
export function nestingDepth(value: unknown, limit: number = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, level] = pending.pop() as [unknown, number];
    if (Array.isArray(node)) {
      deepest = Math.max(deepest, level);
      for (const element of node as unknown[]) {
        if (typeof element === "object" && element !== null) pending.push([element, level + 1]);
      }
    } else if (isDecodedMap(node)) {
      deepest = Math.max(deepest, level);
      for (const [key, element] of Object.entries(node)) {
        deepest = Math.max(deepest, level + placeholderKeyDepth(key));
        if (typeof element === "object" && element !== null) pending.push([element, level + 1]);
      }
    }
    if (deepest > limit) return deepest;
  }
  return deepest;
}

/**
 * The body encoder. With `useBigInt64` a bigint is always written as uint64 (0xcf) and a
 * number of 2^32 or more as a float64, so callers pass integers below 2^32 as numbers and the
 * rest as bigints to get the shortest form.
 */
export const bodyEncoder = new Encoder({ useBigInt64: true, extensionCodec });

/** Decodes a body into JavaScript values: str to string, bin to Uint8Array, uint64 to bigint. */
export const valueDecoder = new Decoder({
  useBigInt64: true,
  extensionCodec,
  keyDecoder: ignoredMapKeys,
  mapKeyConverter: placeholderMapKey,
});

/**
 * Decodes a body with every str left as its raw bytes. The library decodes strings of up to
 * 200 bytes leniently and silently (`c3 28` becomes "è", with no replacement character), so
 * the codec validates each str from these bytes instead of trusting the decoded text.
 */
export const rawStringDecoder = new Decoder({
  useBigInt64: true,
  rawStrings: true,
  extensionCodec,
  keyDecoder: ignoredMapKeys,
  mapKeyConverter: placeholderMapKey,
});

/** Whether a decoded value was a MessagePack extension. */
export function isExtension(value: unknown): value is ExtData {
  return value instanceof ExtData;
}
