// A message to publish: its payload built from bytes, text, JSON or MessagePack, and
// optional content type, headers, partition key, delay or not-before time, and TTL.

import { encode as encodeMsgpack } from "@msgpack/msgpack";
import { checkBoundedText, checkDurationMs, checkNotBefore, checkOptionsObject } from "../argument-checks.js";
import { InvalidArgumentError } from "../errors/invalid-argument-error.js";
import { validateHeaderKey, type HeaderKeyProblem } from "../naming.js";
import { ProtocolLimits } from "../wire/generated/limits.js";
import { isWellFormed } from "../wire/utf8.js";

/** The content types the payload factories set. */
export const ContentTypes = Object.freeze({
  /** Set by {@link OutgoingMessage.text}. */
  text: "text/plain; charset=utf-8",
  /** Set by {@link OutgoingMessage.json}. */
  json: "application/json",
  /** Set by {@link OutgoingMessage.msgpack}. */
  msgpack: "application/msgpack",
});

/** Headers as a `Map`, a plain object, or `[key, value]` pairs. */
export type HeadersInit = ReadonlyMap<string, string> | Readonly<Record<string, string>> | Iterable<readonly [string, string]>;

/** Everything about an outgoing message other than its payload. */
export interface OutgoingMessageInit {
  /**
   * The content type (at most 255 bytes), e.g. `application/x-protobuf`. The payload factories
   * set one unless it is given here.
   */
  readonly contentType?: string | undefined;
  /**
   * User headers. Keys are 1–128 bytes without control characters and must not start with
   * the broker's reserved `sinew.` prefix (any ASCII case); `sinew.client.` is free to use.
   * Values are at most 4096 bytes.
   */
  readonly headers?: HeadersInit | undefined;
  /**
   * The partition key: messages with the same key go to the same partition and keep their
   * order. Text keys are hashed as their UTF-8 bytes.
   */
  readonly key?: string | Uint8Array | undefined;
  /** Deliver no earlier than this many milliseconds after the broker receives the message (0 to 3650 days). */
  readonly delayMs?: number | undefined;
  /** Deliver no earlier than this time, at most 3650 days ahead. Exclusive with `delayMs`. */
  readonly notBefore?: Date | undefined;
  /** Expire this many milliseconds after the broker receives the message (1 ms to 3650 days). */
  readonly ttlMs?: number | undefined;
}

const HEADER_KEY_PROBLEMS: Readonly<Record<HeaderKeyProblem, string>> = {
  empty: "must not be empty",
  invalid_unicode: "is not valid Unicode (it holds a lone surrogate)",
  too_long: `is longer than ${ProtocolLimits.maxHeaderKeyBytes} bytes of UTF-8`,
  control_character: "must not contain control characters",
  reserved_prefix: "uses the prefix sinew., which is reserved for the broker (sinew.client. is free to use)",
};

function headerEntries(headers: HeadersInit): Iterable<readonly [unknown, unknown]> {
  if (headers instanceof Map) return headers.entries();
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === "function") return headers as Iterable<readonly [unknown, unknown]>;
  return Object.entries(headers);
}

function checkHeaders(headers: HeadersInit | undefined): ReadonlyMap<string, string> {
  const checked = new Map<string, string>();
  if (headers === undefined) return checked;
  if (typeof headers !== "object" || headers === null) {
    throw new InvalidArgumentError("headers", "headers must be a Map, a plain object or an iterable of [key, value] pairs", {
      reason: "wrong_type",
    });
  }
  for (const entry of headerEntries(headers)) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new InvalidArgumentError("headers", "headers must be given as [key, value] pairs", { reason: "wrong_type" });
    }
    const [key, value] = entry as [unknown, unknown];
    if (typeof key !== "string") throw new InvalidArgumentError("headers", "header keys must be strings", { reason: "wrong_type" });
    const problem = validateHeaderKey(key);
    if (problem !== undefined) {
      throw new InvalidArgumentError("headers", `the header key ${JSON.stringify(key)} ${HEADER_KEY_PROBLEMS[problem]}`, { reason: problem });
    }
    if (checked.has(key)) throw new InvalidArgumentError("headers", `the header key ${JSON.stringify(key)} appears twice`, { reason: "duplicate" });
    checked.set(
      key,
      checkBoundedText("headers", value, ProtocolLimits.maxHeaderValueBytes, { allowEmpty: true, label: `the value of header ${JSON.stringify(key)}` }),
    );
  }
  return checked;
}

const textEncoder = new TextEncoder();

function checkKey(key: unknown): Uint8Array | undefined {
  if (key === undefined) return undefined;
  if (key instanceof Uint8Array) return key;
  if (typeof key !== "string") throw new InvalidArgumentError("key", "key must be a string or a Uint8Array", { reason: "wrong_type" });
  if (!isWellFormed(key)) throw new InvalidArgumentError("key", "key is not valid Unicode (it holds a lone surrogate)", { reason: "invalid_unicode" });
  return textEncoder.encode(key);
}

/**
 * A message to publish. Build one with a payload factory — {@link OutgoingMessage.bytes},
 * {@link OutgoingMessage.text}, {@link OutgoingMessage.json}, {@link OutgoingMessage.msgpack} —
 * or the constructor. Everything is checked on construction, so a bad header or option fails
 * here with an `InvalidArgumentError` rather than at the broker. The payload is not copied:
 * do not change it until the publish has been sent.
 */
export class OutgoingMessage {
  /** The message body. */
  readonly payload: Uint8Array;
  /** The content type, if any. */
  readonly contentType: string | undefined;
  /** User headers (empty when none). */
  readonly headers: ReadonlyMap<string, string>;
  /** The partition key's bytes, if any. */
  readonly key: Uint8Array | undefined;
  /** Relative delivery delay in milliseconds, if any. */
  readonly delayMs: number | undefined;
  /** Absolute earliest delivery time, if any. */
  readonly notBefore: Date | undefined;
  /** Time to live in milliseconds, if any. */
  readonly ttlMs: number | undefined;

  /**
   * @param payload - the message body
   * @param init - content type, headers, key, delay or not-before time, and TTL
   * @throws InvalidArgumentError when any part breaks the protocol's rules
   */
  constructor(payload: Uint8Array, init: OutgoingMessageInit = {}) {
    if (!(payload instanceof Uint8Array)) throw new InvalidArgumentError("payload", "payload must be a Uint8Array (a Buffer is one)", { reason: "wrong_type" });
    checkOptionsObject("init", init);
    this.payload = payload;
    this.contentType =
      init.contentType === undefined ? undefined : checkBoundedText("contentType", init.contentType, ProtocolLimits.maxContentTypeBytes);
    this.headers = checkHeaders(init.headers);
    this.key = checkKey(init.key);
    this.delayMs = init.delayMs === undefined ? undefined : checkDurationMs("delayMs", init.delayMs, "PublishMessage.delay_ms");
    this.notBefore = init.notBefore === undefined ? undefined : checkNotBefore("notBefore", init.notBefore, "PublishMessage.not_before_ms");
    if (this.delayMs !== undefined && this.notBefore !== undefined) {
      throw new InvalidArgumentError("delayMs", "a message takes delayMs or notBefore, not both", { reason: "conflicting_options" });
    }
    this.ttlMs = init.ttlMs === undefined ? undefined : checkDurationMs("ttlMs", init.ttlMs, "PublishMessage.ttl_ms");
    Object.freeze(this);
  }

  /** A message with a raw payload and no content type unless `init` gives one. */
  static bytes(payload: Uint8Array, init?: OutgoingMessageInit): OutgoingMessage {
    return new OutgoingMessage(payload, init);
  }

  /** A text message: the UTF-8 bytes of `text`, content type `text/plain; charset=utf-8`. */
  static text(text: string, init: OutgoingMessageInit = {}): OutgoingMessage {
    if (typeof text !== "string") throw new InvalidArgumentError("payload", "the text must be a string", { reason: "wrong_type" });
    if (!isWellFormed(text)) {
      throw new InvalidArgumentError("payload", "the text is not valid Unicode (it holds a lone surrogate)", { reason: "invalid_unicode" });
    }
    return new OutgoingMessage(textEncoder.encode(text), { ...init, contentType: init.contentType ?? ContentTypes.text });
  }

  /** A JSON message: `JSON.stringify(value)` as UTF-8, content type `application/json`. */
  static json(value: unknown, init: OutgoingMessageInit = {}): OutgoingMessage {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new InvalidArgumentError("payload", `the value cannot be written as JSON: ${(error as Error).message}`, { reason: "not_json", cause: error });
    }
    if (text === undefined) throw new InvalidArgumentError("payload", "the value has no JSON form (undefined, a function or a symbol)", { reason: "not_json" });
    return new OutgoingMessage(textEncoder.encode(text), { ...init, contentType: init.contentType ?? ContentTypes.json });
  }

  /**
   * A MessagePack message, content type `application/msgpack`. A `bigint` is written as a
   * 64-bit integer.
   */
  static msgpack(value: unknown, init: OutgoingMessageInit = {}): OutgoingMessage {
    let payload: Uint8Array;
    try {
      payload = encodeMsgpack(value, { useBigInt64: true });
    } catch (error) {
      throw new InvalidArgumentError("payload", `the value cannot be written as MessagePack: ${(error as Error).message}`, {
        reason: "not_msgpack",
        cause: error,
      });
    }
    return new OutgoingMessage(payload, { ...init, contentType: init.contentType ?? ContentTypes.msgpack });
  }
}

/** What a publish accepts: a message, raw bytes, or text (sent as {@link OutgoingMessage.text}). */
export type MessageInput = OutgoingMessage | Uint8Array | string;

/** Turns a publish argument into a checked message. */
export function toOutgoingMessage(input: MessageInput): OutgoingMessage {
  if (input instanceof OutgoingMessage) return input;
  if (input instanceof Uint8Array) return OutgoingMessage.bytes(input);
  if (typeof input === "string") return OutgoingMessage.text(input);
  throw new InvalidArgumentError("message", "a message must be an OutgoingMessage, a Uint8Array or a string", { reason: "wrong_type" });
}
