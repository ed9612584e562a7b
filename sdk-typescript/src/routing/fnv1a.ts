// FNV-1a 64-bit hashing of partition keys and the partition a key selects (protocol section
// 8.2). Clients and brokers must compute exactly the same function.

import { isWellFormed } from "../wire/utf8.js";

const textEncoder = new TextEncoder();

// The 64-bit state is kept as four 16-bit limbs in plain numbers, least significant first:
// every intermediate product stays far below 2^53, so no BigInt work is needed per byte.
type Limbs = [number, number, number, number];

// Offset basis 0xcbf29ce484222325.
const OFFSET_BASIS: Readonly<Limbs> = [0x2325, 0x8422, 0x9ce4, 0xcbf2];

// The prime 0x100000001b3 is 2^40 + 0x1b3, so multiplying by it is a multiplication by 0x1b3
// plus a shift left by 40 bits.
const PRIME_LOW = 0x1b3;

function keyBytes(key: Uint8Array | string): Uint8Array {
  if (typeof key !== "string") return key;
  if (!isWellFormed(key)) throw new RangeError("a text partition key must be well-formed UTF-16 (no lone surrogates)");
  return textEncoder.encode(key);
}

function hashLimbs(bytes: Uint8Array): Limbs {
  let [h0, h1, h2, h3] = OFFSET_BASIS;
  for (const byte of bytes) {
    h0 ^= byte;
    // (h * 0x1b3) + (h << 40), mod 2^64. Shifting by 40 bits moves limb 0 up by 2.5 limbs
    // (into limb 2, eight bits up) and limb 1 into limb 3; higher limbs fall off the top.
    const t0 = h0 * PRIME_LOW;
    const t1 = h1 * PRIME_LOW + (t0 >>> 16);
    const t2 = h2 * PRIME_LOW + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * PRIME_LOW + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return [h0, h1, h2, h3];
}

/**
 * The FNV-1a 64-bit hash of a partition key.
 *
 * @param key - the key's bytes, or a text key, which is hashed as its UTF-8 bytes
 * @throws RangeError when a text key has a lone surrogate and so has no UTF-8 form
 */
export function fnv1a64(key: Uint8Array | string): bigint {
  const [h0, h1, h2, h3] = hashLimbs(keyBytes(key));
  return (BigInt(h3) << 48n) | (BigInt(h2) << 32n) | (BigInt(h1) << 16n) | BigInt(h0);
}

/**
 * The partition a key selects: `fnv1a64(key) mod partitions`.
 *
 * @param key - the key's bytes, or a text key, which is hashed as its UTF-8 bytes
 * @param partitions - the queue's or stream's partition count, from 1 to 2^32 - 1
 * @throws RangeError when the partition count is out of range, or a text key is not well-formed
 */
export function partitionForKey(key: Uint8Array | string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 0xffff_ffff) {
    throw new RangeError(`the partition count must be an integer from 1 to 4294967295, got ${partitions}`);
  }
  const [h0, h1, h2, h3] = hashLimbs(keyBytes(key));
  // Horner's rule over the limbs, most significant first; each step stays below 2^48.
  let remainder = h3 % partitions;
  remainder = (remainder * 0x10000 + h2) % partitions;
  remainder = (remainder * 0x10000 + h1) % partitions;
  return (remainder * 0x10000 + h0) % partitions;
}
