// Byte utilities for the vector runner: hex conversion, comparison and a seeded random source
// for sampling.

/** The bytes of a lower-case (or upper-case) hex string. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not a hex string: ${hex.slice(0, 40)}`);
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** The lower-case hex form of some bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Describes how two byte strings differ, or returns `undefined` when they are equal. */
export function describeByteDifference(expected: Uint8Array, actual: Uint8Array): string | undefined {
  const shorter = Math.min(expected.byteLength, actual.byteLength);
  let offset = 0;
  while (offset < shorter && expected[offset] === actual[offset]) offset++;
  if (offset === shorter && expected.byteLength === actual.byteLength) return undefined;
  const window = (bytes: Uint8Array) => toHex(bytes.subarray(offset, offset + 12));
  return (
    `lengths ${expected.byteLength} and ${actual.byteLength}, first difference at byte ${offset}: ` +
    `expected ${window(expected) || "(end)"}…, got ${window(actual) || "(end)"}…`
  );
}

/** A small deterministic pseudo-random generator (mulberry32), so sampled positions are stable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
