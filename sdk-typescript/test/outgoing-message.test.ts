// OutgoingMessage: the payload factories and their content types, headers (the reserved sinew.
// prefix refused before sending, sinew.client. allowed), keys, delay or not-before, TTL, and
// the limits on each part.

import { decode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../src/errors/invalid-argument-error.js";
import { ContentTypes, OutgoingMessage, toOutgoingMessage } from "../src/publish/outgoing-message.js";

const TIMEOUT_MS = 10_000;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function refusal(build: () => unknown): InvalidArgumentError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    // Every refusal names the rule it applied with a stable snake_case word.
    expect((error as InvalidArgumentError).reason).toMatch(/^[a-z]+(_[a-z]+)*$/);
    return error as InvalidArgumentError;
  }
  throw new Error("the message was accepted");
}

describe("payload factories", () => {
  it("keeps raw bytes as they are, without a content type", () => {
    const payload = new Uint8Array([0, 255, 7]);
    const message = OutgoingMessage.bytes(payload);
    expect(message.payload).toBe(payload);
    expect(message.contentType).toBeUndefined();
    expect(OutgoingMessage.bytes(Buffer.from("x")).payload).toBeInstanceOf(Uint8Array);
  }, TIMEOUT_MS);

  it("encodes text as UTF-8 with text/plain; charset=utf-8", () => {
    const message = OutgoingMessage.text("héllo 😀");
    expect(text(message.payload)).toBe("héllo 😀");
    expect(message.contentType).toBe("text/plain; charset=utf-8");
  }, TIMEOUT_MS);

  it("writes JSON with application/json", () => {
    const message = OutgoingMessage.json({ id: 7, tags: ["a"] });
    expect(JSON.parse(text(message.payload))).toEqual({ id: 7, tags: ["a"] });
    expect(message.contentType).toBe(ContentTypes.json);
  }, TIMEOUT_MS);

  it("writes MessagePack with application/msgpack, bigints as 64-bit integers", () => {
    const message = OutgoingMessage.msgpack({ id: 7, big: 2n ** 60n });
    expect(decode(message.payload, { useBigInt64: true })).toEqual({ id: 7, big: 2n ** 60n });
    expect(message.contentType).toBe("application/msgpack");
  }, TIMEOUT_MS);

  it("lets any payload carry a custom content type, overriding a factory's", () => {
    expect(OutgoingMessage.bytes(new Uint8Array(1), { contentType: "application/x-protobuf" }).contentType).toBe("application/x-protobuf");
    expect(OutgoingMessage.json([], { contentType: "application/vnd.orders+json" }).contentType).toBe("application/vnd.orders+json");
  }, TIMEOUT_MS);

  it("refuses values without a JSON form and text with a lone surrogate", () => {
    expect(refusal(() => OutgoingMessage.json(undefined))).toMatchObject({ argument: "payload", reason: "not_json" });
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(refusal(() => OutgoingMessage.json(cyclic))).toMatchObject({ argument: "payload", reason: "not_json" });
    expect(refusal(() => OutgoingMessage.msgpack(() => 1))).toMatchObject({ argument: "payload", reason: "not_msgpack" });
    expect(refusal(() => OutgoingMessage.text("\ud800"))).toMatchObject({ argument: "payload", reason: "invalid_unicode" });
  }, TIMEOUT_MS);

  it("turns publish arguments into messages: bytes stay bytes, strings become text", () => {
    const message = OutgoingMessage.json(1);
    expect(toOutgoingMessage(message)).toBe(message);
    expect(toOutgoingMessage(new Uint8Array([1])).contentType).toBeUndefined();
    expect(toOutgoingMessage("hi").contentType).toBe(ContentTypes.text);
    expect(refusal(() => toOutgoingMessage({ payload: "x" } as never)).argument).toBe("message");
  }, TIMEOUT_MS);
});

describe("headers", () => {
  it("accepts a Map, a plain object or pairs", () => {
    for (const headers of [new Map([["tenant", "acme"]]), { tenant: "acme" }, [["tenant", "acme"]] as [string, string][]]) {
      expect([...OutgoingMessage.text("x", { headers }).headers]).toEqual([["tenant", "acme"]]);
    }
  }, TIMEOUT_MS);

  it("refuses the broker's reserved sinew. prefix in any ASCII case, but allows sinew.client.", () => {
    for (const key of ["sinew.dlq.reason", "Sinew.x", "SINEW.", "sinew.clientx"]) {
      const error = refusal(() => OutgoingMessage.text("x", { headers: { [key]: "v" } }));
      expect(error.argument).toBe("headers");
      expect(error.reason).toBe("reserved_prefix");
    }
    expect(OutgoingMessage.text("x", { headers: { "sinew.client.trace": "1", "Sinew.Client.Span": "2", sinewish: "3" } }).headers.size).toBe(3);
  }, TIMEOUT_MS);

  it.each([
    ["", "empty"],
    ["k".repeat(129), "too_long"],
    ["a\u0007b", "control_character"],
    ["\udc00", "invalid_unicode"],
  ])("refuses the key %j (%s)", (key, reason) => {
    expect(refusal(() => OutgoingMessage.text("x", { headers: { [key]: "v" } })).reason).toBe(reason);
  }, TIMEOUT_MS);

  it("limits values to 4096 bytes of UTF-8 and refuses duplicate keys", () => {
    expect(OutgoingMessage.text("x", { headers: { k: "v".repeat(4096) } }).headers.get("k")).toHaveLength(4096);
    expect(refusal(() => OutgoingMessage.text("x", { headers: { k: "é".repeat(2049) } })).reason).toBe("too_long");
    expect(refusal(() => OutgoingMessage.text("x", { headers: [["k", "1"], ["k", "2"]] })).reason).toBe("duplicate");
    const badValue = refusal(() => OutgoingMessage.text("x", { headers: { k: 5 as unknown as string } }));
    expect(badValue).toMatchObject({ argument: "headers", reason: "wrong_type" });
    expect(badValue.message).toContain('header "k"');
  }, TIMEOUT_MS);
});

describe("routing, timing and expiry", () => {
  it("keeps keys as bytes, text keys as their UTF-8", () => {
    expect(OutgoingMessage.text("x", { key: "clé" }).key).toEqual(new TextEncoder().encode("clé"));
    const key = new Uint8Array([1, 2]);
    expect(OutgoingMessage.text("x", { key }).key).toBe(key);
    expect(refusal(() => OutgoingMessage.text("x", { key: "\ud800" })).argument).toBe("key");
  }, TIMEOUT_MS);

  it("takes a delay or a not-before time, never both", () => {
    expect(OutgoingMessage.text("x", { delayMs: 0 }).delayMs).toBe(0);
    const at = new Date("2030-01-01T00:00:00Z");
    expect(OutgoingMessage.text("x", { notBefore: at }).notBefore).toBe(at);
    expect(refusal(() => OutgoingMessage.text("x", { delayMs: 5, notBefore: at }))).toMatchObject({ argument: "delayMs", reason: "conflicting_options" });
    expect(refusal(() => OutgoingMessage.text("x", { delayMs: -1 }))).toMatchObject({ argument: "delayMs", reason: "out_of_range" });
    expect(refusal(() => OutgoingMessage.text("x", { notBefore: new Date(Number.NaN) }))).toMatchObject({ argument: "notBefore", reason: "out_of_range" });
    expect(refusal(() => OutgoingMessage.text("x", { notBefore: 5 as unknown as Date }))).toMatchObject({ argument: "notBefore", reason: "wrong_type" });
  }, TIMEOUT_MS);

  it("requires a TTL of at least one millisecond", () => {
    expect(OutgoingMessage.text("x", { ttlMs: 1 }).ttlMs).toBe(1);
    // An integer outside the range is out of range; anything not an integer is the wrong type.
    expect(refusal(() => OutgoingMessage.text("x", { ttlMs: 0 }))).toMatchObject({ argument: "ttlMs", reason: "out_of_range" });
    expect(refusal(() => OutgoingMessage.text("x", { ttlMs: 2.5 }))).toMatchObject({ argument: "ttlMs", reason: "wrong_type" });
    expect(refusal(() => OutgoingMessage.text("x", { ttlMs: "5" as unknown as number }))).toMatchObject({ argument: "ttlMs", reason: "wrong_type" });
  }, TIMEOUT_MS);

  it("limits the content type to 255 bytes", () => {
    expect(refusal(() => OutgoingMessage.bytes(new Uint8Array(), { contentType: "a".repeat(256) })).reason).toBe("too_long");
    expect(refusal(() => OutgoingMessage.bytes(new Uint8Array(), { contentType: "" })).reason).toBe("empty");
  }, TIMEOUT_MS);

  it("is immutable", () => {
    const message = OutgoingMessage.text("x");
    expect(Object.isFrozen(message)).toBe(true);
  }, TIMEOUT_MS);
});
