// Checks applied to arguments before anything is sent: names and groups under the protocol's
// rules, and numeric options in range. Each failure is an InvalidArgumentError naming the
// argument and saying how to fix it.

import { DURATION_RANGES, type DurationField } from "./durations.js";
import { InvalidArgumentError } from "./errors/invalid-argument-error.js";
import { findNameProblem, normaliseGroup, type NameProblem, type NameRuleOptions } from "./naming.js";
import { ProtocolLimits } from "./wire/generated/limits.js";
import { isWellFormed, utf8ByteLength } from "./wire/utf8.js";

const MAX_U32 = 0xffff_ffff;

const NAME_PROBLEMS: Readonly<Record<NameProblem, string>> = {
  empty: "must not be empty",
  invalid_unicode: "is not valid Unicode (it holds a lone surrogate)",
  too_long: "is too long",
  reserved_name: "must not be . or ..",
  reserved_prefix: "must not start with $, which is reserved for the broker",
  control_character: "must not contain control characters",
  whitespace: "must not contain whitespace",
  reserved_character: "must not contain any of * > ? # / \\",
};

/**
 * Checks a topic, group, cursor name or producer id. `brokerOwnedTopic` accepts the topic of a
 * queue the broker owns (a leading `$`), for the operations the protocol allows to name one.
 *
 * @throws InvalidArgumentError naming `argument` and the rule broken
 */
export function checkName(argument: string, name: unknown, options: NameRuleOptions = {}): string {
  if (typeof name !== "string") throw new InvalidArgumentError(argument, `${argument} must be a string, got ${typeof name}`, { reason: "wrong_type" });
  const problem = findNameProblem(name, options);
  if (problem !== undefined) {
    const limit = options.producerId === true ? ProtocolLimits.maxProducerIdBytes : ProtocolLimits.maxNameBytes;
    const detail = problem === "too_long" ? `${NAME_PROBLEMS[problem]} (at most ${limit} bytes of UTF-8)` : NAME_PROBLEMS[problem];
    throw new InvalidArgumentError(argument, `${argument} ${JSON.stringify(name)} ${detail}`, { reason: problem });
  }
  return name;
}

/**
 * Normalises a group (`""` and `"default"` mean no group) and checks what remains as a name.
 *
 * @returns the group to send, or `undefined` for no group
 */
export function checkGroup(argument: string, group: unknown): string | undefined {
  if (group === undefined || group === null) return undefined;
  if (typeof group !== "string") throw new InvalidArgumentError(argument, `${argument} must be a string, got ${typeof group}`, { reason: "wrong_type" });
  const normalised = normaliseGroup(group);
  return normalised === undefined ? undefined : checkName(argument, normalised);
}

/**
 * Checks an integer option within a range.
 *
 * @throws InvalidArgumentError when it is not an integer from `min` to `max`
 */
export function checkInteger(argument: string, value: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    // Not an integer at all is the wrong type; an integer outside the range is out of range.
    const reason = Number.isInteger(value) ? "out_of_range" : "wrong_type";
    throw new InvalidArgumentError(argument, `${argument} must be an integer ${range}, got ${String(value)}`, { reason });
  }
  return value;
}

/**
 * Checks a duration in milliseconds against the range of the wire field it is sent in
 * (protocol section 7.4), for example 1 to 315 360 000 000 for a TTL.
 *
 * @throws InvalidArgumentError when it is not an integer in that range
 */
export function checkDurationMs(argument: string, value: unknown, field: DurationField): number {
  const { min, max } = DURATION_RANGES[field];
  return checkInteger(argument, value, min, max);
}

/**
 * Checks a not-before time: a valid `Date`, not before 1970, and no further ahead of this
 * machine's clock than the longest delay (3650 days, protocol section 7.4).
 *
 * @throws InvalidArgumentError when it is not such a `Date`
 */
export function checkNotBefore(argument: string, value: unknown, field: DurationField): Date {
  if (!(value instanceof Date)) throw new InvalidArgumentError(argument, `${argument} must be a Date`, { reason: "wrong_type" });
  const time = value.getTime();
  if (Number.isNaN(time) || time < 0) {
    throw new InvalidArgumentError(argument, `${argument} must be a valid Date after 1970-01-01`, { reason: "out_of_range" });
  }
  const { max } = DURATION_RANGES[field];
  if (time > Date.now() + max) {
    throw new InvalidArgumentError(argument, `${argument} (${value.toISOString()}) is more than ${max / 86_400_000} days ahead, the longest delay the protocol allows`, {
      reason: "out_of_range",
    });
  }
  return value;
}

/** Checks a duration or count in milliseconds that may be zero. */
export function checkNonNegative(argument: string, value: unknown): number {
  return checkInteger(argument, value, 0);
}

/** Checks an unsigned 32-bit option that must be at least `min`. */
export function checkU32(argument: string, value: unknown, min: number = 0): number {
  return checkInteger(argument, value, min, MAX_U32);
}

/**
 * Checks a string bounded in UTF-8 bytes (content types, header values, nack reasons).
 *
 * @throws InvalidArgumentError when it is not a well-formed string of at most `maxBytes` bytes
 */
export function checkBoundedText(
  argument: string,
  value: unknown,
  maxBytes: number,
  options: { allowEmpty?: boolean; label?: string } = {},
): string {
  // The label names the value in messages when it is a part of the argument (one header's value).
  const label = options.label ?? argument;
  if (typeof value !== "string") throw new InvalidArgumentError(argument, `${label} must be a string, got ${typeof value}`, { reason: "wrong_type" });
  if (value.length === 0 && options.allowEmpty !== true) {
    throw new InvalidArgumentError(argument, `${label} must not be empty`, { reason: "empty" });
  }
  if (!isWellFormed(value)) {
    throw new InvalidArgumentError(argument, `${label} is not valid Unicode (it holds a lone surrogate)`, {
      reason: "invalid_unicode",
    });
  }
  const bytes = utf8ByteLength(value);
  if (bytes > maxBytes) {
    throw new InvalidArgumentError(argument, `${label} is ${bytes} bytes of UTF-8, over the limit of ${maxBytes}`, {
      reason: "too_long",
    });
  }
  return value;
}

/** Checks that an options argument is an object (or absent). */
export function checkOptionsObject(argument: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw new InvalidArgumentError(argument, `${argument} must be an object, got ${value === null ? "null" : typeof value}`, { reason: "wrong_type" });
  }
}

/** Checks an optional AbortSignal option. */
export function checkSignal(argument: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new InvalidArgumentError(argument, `${argument} must be an AbortSignal`, { reason: "wrong_type" });
  return value;
}
