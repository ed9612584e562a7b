// FNV-1a 64 and partition selection checked against a direct BigInt computation of the
// algorithm as partitioning.json states it, over many keys and partition counts.

import { describe, expect, it } from "vitest";
import { fnv1a64, partitionForKey } from "../src/routing/fnv1a.js";
import { seededRandom } from "./support/bytes.js";
import { loadPartitioning } from "./support/vector-files.js";

const TIMEOUT_MS = 10_000;
const { algorithm } = loadPartitioning();

function referenceHash(bytes: Uint8Array): bigint {
  const prime = BigInt(algorithm.prime);
  const mask = (1n << 64n) - 1n;
  let hash = BigInt(algorithm.offset_basis);
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * prime) & mask;
  return hash;
}

function randomKeys(count: number, seed: number): Uint8Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const key = new Uint8Array(Math.floor(random() * 80));
    for (let index = 0; index < key.byteLength; index++) key[index] = Math.floor(random() * 256);
    return key;
  });
}

describe("fnv1a64", () => {
  it("agrees with a BigInt computation of the algorithm for 500 random keys", () => {
    for (const key of randomKeys(500, 1)) expect(fnv1a64(key)).toBe(referenceHash(key));
  }, TIMEOUT_MS);

  it("hashes a text key as its UTF-8 bytes", () => {
    for (const text of ["", "orders", "заказ", "🚀 launch", "\u0000\uffff"]) {
      expect(fnv1a64(text)).toBe(referenceHash(new TextEncoder().encode(text)));
    }
  }, TIMEOUT_MS);

  it("refuses a text key with a lone surrogate, which has no UTF-8 bytes", () => {
    expect(() => fnv1a64("key\ud800")).toThrow(RangeError);
    expect(() => partitionForKey("\udfffkey", 4)).toThrow(RangeError);
  }, TIMEOUT_MS);
});

describe("partitionForKey", () => {
  it("is the hash modulo the partition count, for random keys and counts up to 2^32 - 1", () => {
    const random = seededRandom(2);
    const counts = [1, 2, 3, 7, 16, 1000, 65_535, 65_536, 2 ** 31, 2 ** 32 - 1];
    for (const key of randomKeys(200, 3)) {
      const count = counts[Math.floor(random() * counts.length)] as number;
      expect(partitionForKey(key, count)).toBe(Number(referenceHash(key) % BigInt(count)));
    }
  }, TIMEOUT_MS);

  it("refuses partition counts outside 1 to 2^32 - 1", () => {
    for (const count of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => partitionForKey("key", count), String(count)).toThrow(RangeError);
    }
  }, TIMEOUT_MS);
});
