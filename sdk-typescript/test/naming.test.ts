// Name and header-key rules beyond names.json: the producer-id limit, byte (not character)
// lengths, ASCII-only case folding, and the order in which checks apply.

import { describe, expect, it } from "vitest";
import { findNameProblem, validateHeaderKey, validateName } from "../src/naming.js";
import { loadNames, loadRegistry } from "./support/vector-files.js";

const TIMEOUT_MS = 10_000;
const { limits } = loadRegistry();
const names = loadNames();
const maxProducerIdBytes = limits["max_producer_id_bytes"] as number;
const maxNameBytes = limits["max_name_bytes"] as number;
const maxHeaderKeyBytes = limits["max_header_key_bytes"] as number;

describe("validateName for producer ids", () => {
  it("allows exactly max_producer_id_bytes UTF-8 bytes", () => {
    expect(validateName("p".repeat(maxProducerIdBytes), { producerId: true })).toBeUndefined();
    expect(validateName("p".repeat(maxProducerIdBytes + 1), { producerId: true })).toBe("too_long");
    expect(validateName("é".repeat(maxProducerIdBytes / 2 + 1), { producerId: true })).toBe("too_long");
    expect(validateName("p".repeat(maxProducerIdBytes + 1))).toBeUndefined();
  }, TIMEOUT_MS);

  it("gives every names.json case the same verdict as a producer id, except too_long past 64 bytes", () => {
    for (const entry of names.names) {
      const bytes = new TextEncoder().encode(entry.value).byteLength;
      const expected = bytes > maxProducerIdBytes && bytes <= maxNameBytes ? "too_long" : (entry.reason ?? undefined);
      expect(validateName(entry.value, { producerId: true }), entry.id).toBe(expected);
    }
  }, TIMEOUT_MS);
});

describe("validateName order of checks", () => {
  it("checks the leading $ before the characters, and lets the first offending character decide", () => {
    expect(validateName("$ a")).toBe("reserved_prefix");
    expect(validateName("a b*")).toBe("whitespace");
    expect(validateName("a*b c")).toBe("reserved_character");
    expect(validateName("a\u0001 ")).toBe("control_character");
    expect(validateName("x".repeat(maxNameBytes + 1).replace("x", "$"))).toBe("too_long");
  }, TIMEOUT_MS);
});

describe("the exception for topics of broker-owned queues", () => {
  it("accepts a leading $ only when asked, and applies every other rule in the same order", () => {
    expect(validateName("$dead-letters")).toBe("reserved_prefix");
    expect(findNameProblem("$dead-letters", {})).toBe("reserved_prefix");
    expect(findNameProblem("$dead-letters", { brokerOwnedTopic: true })).toBeUndefined();
    expect(findNameProblem("$ a", { brokerOwnedTopic: true })).toBe("whitespace");
    expect(findNameProblem("$a*", { brokerOwnedTopic: true })).toBe("reserved_character");
    expect(findNameProblem(`$${"x".repeat(maxNameBytes)}`, { brokerOwnedTopic: true })).toBe("too_long");
    expect(findNameProblem("..", { brokerOwnedTopic: true })).toBe("reserved_name");
  }, TIMEOUT_MS);

  it("gives every other names.json case the same verdict", () => {
    for (const entry of names.names) {
      if (entry.reason === "reserved_prefix") continue;
      expect(findNameProblem(entry.value, { brokerOwnedTopic: true }), entry.id).toBe(entry.reason ?? undefined);
    }
  }, TIMEOUT_MS);
});

describe("validateHeaderKey", () => {
  it("measures keys in UTF-8 bytes", () => {
    expect(validateHeaderKey("é".repeat(maxHeaderKeyBytes / 2))).toBeUndefined();
    expect(validateHeaderKey(`${"é".repeat(maxHeaderKeyBytes / 2)}x`)).toBe("too_long");
  }, TIMEOUT_MS);

  it("folds only ASCII letters when matching the reserved prefix", () => {
    // U+017F upper-cases to "S", but it is not an ASCII letter.
    expect(validateHeaderKey("\u017finew.x")).toBeUndefined();
    expect(validateHeaderKey("SiNeW.x")).toBe("reserved_prefix");
    expect(validateHeaderKey("sinew.Client.x")).toBeUndefined();
  }, TIMEOUT_MS);

  it("reports a control character before a reserved prefix", () => {
    expect(validateHeaderKey("sinew.\u0007")).toBe("control_character");
  }, TIMEOUT_MS);
});

describe("invalid Unicode", () => {
  it("refuses a name or header key with a lone surrogate, right after the empty check", () => {
    for (const text of ["\ud800", "a\udc00b", "\ud83d", `${"x".repeat(maxNameBytes + 1)}\ud800`]) {
      expect(validateName(text), JSON.stringify(text)).toBe("invalid_unicode");
      expect(validateName(text, { producerId: true }), JSON.stringify(text)).toBe("invalid_unicode");
    }
    for (const key of ["\udfff", "sinew.\ud800", `${"k".repeat(maxHeaderKeyBytes + 1)}\ud800`, "a\n\ud800"]) {
      expect(validateHeaderKey(key), JSON.stringify(key)).toBe("invalid_unicode");
    }
  }, TIMEOUT_MS);

  it("accepts a correctly paired surrogate", () => {
    expect(validateName("\ud83d\ude80")).toBeUndefined();
    expect(validateHeaderKey("\ud83d\ude80")).toBeUndefined();
  }, TIMEOUT_MS);
});
