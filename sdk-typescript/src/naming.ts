// The rules for names (topics, groups, stream cursors, producer ids), user header keys, and
// the normalisation of groups (protocol sections 7.1 to 7.3).

import { ProtocolLimits } from "./wire/generated/limits.js";
import { isWellFormed, utf8ByteLength } from "./wire/utf8.js";

/** Why a name is invalid, in the words of protocol section 7.1. */
export type NameProblem =
  | "empty"
  | "invalid_unicode"
  | "too_long"
  | "reserved_name"
  | "reserved_prefix"
  | "control_character"
  | "whitespace"
  | "reserved_character";

/** Why a user header key is not allowed, in the words of protocol section 7.3. */
export type HeaderKeyProblem = "empty" | "invalid_unicode" | "too_long" | "control_character" | "reserved_prefix";

/** Options of {@link validateName}. */
export interface ValidateNameOptions {
  /** Check a producer id, whose limit is 64 bytes instead of 200. */
  readonly producerId?: boolean;
}

/**
 * Options of {@link findNameProblem}: the public ones, plus the one exception the client makes
 * where the protocol allows it.
 * @internal
 */
export interface NameRuleOptions extends ValidateNameOptions {
  /**
   * Accept a leading `$`: the name is the topic of a queue the broker may own (such as
   * `$dead-letters`), which `Subscribe` and `TopologyRequest` may name (rule 5 of section 7.1).
   * Every other rule still applies; whether such a queue exists is for the broker to say.
   */
  readonly brokerOwnedTopic?: boolean;
}

const RESERVED_CHARACTERS = new Set(["*", ">", "?", "#", "/", "\\"]);

const WHITESPACE = new Set([
  0x0020, 0x00a0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  // Invisible characters that are refused like whitespace.
  0x200b, 0xfeff,
]);

function isControlCharacter(codePoint: number): boolean {
  return codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f);
}

/**
 * Checks a topic, group, stream cursor name or producer id against the name rules, in the
 * protocol's order: empty, not valid Unicode (a lone surrogate, which has no UTF-8 form), too
 * long (in UTF-8 bytes), `.` or `..`, a leading `$`, then each character in turn for control
 * characters, whitespace and reserved characters.
 *
 * @param name - the name to check
 * @param options - `producerId: true` applies the producer-id length limit
 * @returns why the name is invalid, or `undefined` when it is valid
 */
export function validateName(name: string, options: ValidateNameOptions = {}): NameProblem | undefined {
  return findNameProblem(name, { producerId: options.producerId === true });
}

/**
 * The name rules of {@link validateName}, with the exception for topics of broker-owned queues
 * that only subscribing and reading the topology may use.
 * @internal
 */
export function findNameProblem(name: string, options: NameRuleOptions): NameProblem | undefined {
  if (name.length === 0) return "empty";
  if (!isWellFormed(name)) return "invalid_unicode";
  const maxBytes = options.producerId === true ? ProtocolLimits.maxProducerIdBytes : ProtocolLimits.maxNameBytes;
  if (utf8ByteLength(name) > maxBytes) return "too_long";
  if (name === "." || name === "..") return "reserved_name";
  if (name.startsWith("$") && options.brokerOwnedTopic !== true) return "reserved_prefix";
  for (const character of name) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (isControlCharacter(codePoint)) return "control_character";
    if (WHITESPACE.has(codePoint)) return "whitespace";
    if (RESERVED_CHARACTERS.has(character)) return "reserved_character";
  }
  return undefined;
}

const RESERVED_HEADER_PREFIX = "sinew.";
const CLIENT_HEADER_PREFIX = "sinew.client.";

// Only ASCII letters fold: a Unicode-aware toLowerCase would also fold characters such as the
// Kelvin sign into ASCII letters, which the protocol does not.
function asciiLowercase(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => String.fromCharCode(letter.charCodeAt(0) + 0x20));
}

/**
 * Checks a user header key, in the protocol's order: not empty, valid Unicode, at most 128
 * UTF-8 bytes, no control characters, and not in the broker's reserved `sinew.` namespace
 * (matched ignoring ASCII case), except for the `sinew.client.` prefix left to client
 * libraries.
 *
 * @param key - the header key to check
 * @returns why the key is not allowed, or `undefined` when it is allowed
 */
export function validateHeaderKey(key: string): HeaderKeyProblem | undefined {
  if (key.length === 0) return "empty";
  if (!isWellFormed(key)) return "invalid_unicode";
  if (utf8ByteLength(key) > ProtocolLimits.maxHeaderKeyBytes) return "too_long";
  for (const character of key) {
    if (isControlCharacter(character.codePointAt(0) ?? 0)) return "control_character";
  }
  const prefix = asciiLowercase(key.slice(0, CLIENT_HEADER_PREFIX.length));
  if (prefix.startsWith(RESERVED_HEADER_PREFIX) && !prefix.startsWith(CLIENT_HEADER_PREFIX)) return "reserved_prefix";
  return undefined;
}

/**
 * Normalises a group: the empty group and the exact, lower-case `default` both mean "no group"
 * and become `undefined`, which is sent as nil. Any other group is returned unchanged.
 *
 * @param group - a group as given, possibly absent
 */
export function normaliseGroup(group?: string | null): string | undefined {
  if (group === undefined || group === null || group === "" || group === "default") return undefined;
  return group;
}
