// Turning SinewClientOptions into a complete, checked configuration, so every option error is
// reported before any connection is attempted.

import { checkBoundedText, checkInteger, checkOptionsObject, checkSignal } from "../argument-checks.js";
import { ProtocolLimits } from "../wire/generated/limits.js";
import { formatEndpoint, parseEndpoint, type Endpoint } from "../connection/endpoint.js";
import { InvalidArgumentError } from "../errors/invalid-argument-error.js";
import type { SinewError } from "../errors/sinew-error.js";
import type { SinewClientOptions } from "./client-options.js";
import type { SinewLogger } from "./sinew-logger.js";
import { SinewCredentials } from "./credentials.js";
import { DEFAULT_RECONNECT_POLICY, type ResolvedReconnectPolicy } from "./reconnect-policy.js";

/** Client options with every default applied. */
export interface ResolvedClientOptions {
  readonly endpoints: readonly Endpoint[];
  readonly clientName: string;
  readonly credentials: SinewCredentials | undefined;
  readonly heartbeatMs: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly reconnect: ResolvedReconnectPolicy;
  readonly onError: (error: SinewError) => void;
  readonly logger: SinewLogger;
}

/** The defaults of {@link SinewClientOptions}. */
export const CLIENT_DEFAULTS = Object.freeze({
  endpoints: Object.freeze(["127.0.0.1:7420"]),
  clientName: "@sinew/client",
  heartbeatMs: 10_000,
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  closeTimeoutMs: 2_000,
});

// Timers cannot wait longer than this (about 24.8 days); longer values would fire at once.
const MAX_TIMER_MS = 2_147_483_647;

function resolveEndpoints(value: unknown): Endpoint[] {
  if (value === undefined) return CLIENT_DEFAULTS.endpoints.map((text) => parseEndpoint(text) as Endpoint);
  if (typeof value === "string" || !Array.isArray(value)) {
    throw new InvalidArgumentError("endpoints", "endpoints must be an array of \"host:port\" strings", { reason: "wrong_type" });
  }
  if (value.length === 0) throw new InvalidArgumentError("endpoints", "endpoints must list at least one broker address", { reason: "empty" });
  return value.map((entry: unknown, index) => {
    if (typeof entry !== "string") throw new InvalidArgumentError("endpoints", `endpoints[${index}] must be a string`, { reason: "wrong_type" });
    const parsed = parseEndpoint(entry);
    if (typeof parsed === "string") throw new InvalidArgumentError("endpoints", parsed, { reason: "invalid_endpoint" });
    return parsed;
  });
}

function resolveReconnect(value: unknown): ResolvedReconnectPolicy {
  checkOptionsObject("reconnect", value);
  const policy = (value ?? {}) as Record<string, unknown>;
  const resolved: ResolvedReconnectPolicy = {
    maxAttempts: checkInteger("reconnect.maxAttempts", policy["maxAttempts"] ?? DEFAULT_RECONNECT_POLICY.maxAttempts, 0, 1000),
    initialDelayMs: checkInteger(
      "reconnect.initialDelayMs",
      policy["initialDelayMs"] ?? DEFAULT_RECONNECT_POLICY.initialDelayMs,
      0,
      MAX_TIMER_MS,
    ),
    maxDelayMs: checkInteger("reconnect.maxDelayMs", policy["maxDelayMs"] ?? DEFAULT_RECONNECT_POLICY.maxDelayMs, 0, MAX_TIMER_MS),
    jitter: policy["jitter"] === undefined ? DEFAULT_RECONNECT_POLICY.jitter : checkJitter(policy["jitter"]),
  };
  if (resolved.maxDelayMs < resolved.initialDelayMs) {
    throw new InvalidArgumentError("reconnect.maxDelayMs", "reconnect.maxDelayMs must not be below reconnect.initialDelayMs", {
      reason: "out_of_range",
    });
  }
  return Object.freeze(resolved);
}

function checkJitter(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidArgumentError("reconnect.jitter", `reconnect.jitter must be a number from 0 to 1, got ${String(value)}`, {
      reason: typeof value === "number" && !Number.isNaN(value) ? "out_of_range" : "wrong_type",
    });
  }
  return value;
}

/**
 * Checks client options and applies the defaults.
 *
 * @throws InvalidArgumentError naming the first option that is wrong
 */
export function resolveClientOptions(options: SinewClientOptions | undefined): ResolvedClientOptions {
  checkOptionsObject("options", options);
  const given = options ?? {};
  checkSignal("signal", given.signal);
  if (given.credentials !== undefined && !(given.credentials instanceof SinewCredentials)) {
    throw new InvalidArgumentError(
      "credentials",
      "credentials must be created with SinewCredentials.plain(username, password) or SinewCredentials.token(token)",
      { reason: "wrong_type" },
    );
  }
  if (given.onError !== undefined && typeof given.onError !== "function") {
    throw new InvalidArgumentError("onError", "onError must be a function", { reason: "wrong_type" });
  }
  if (given.logger !== undefined && typeof (given.logger as { warn?: unknown } | null)?.warn !== "function") {
    throw new InvalidArgumentError("logger", "logger must have a warn(message, ...details) method, as console does", { reason: "wrong_type" });
  }
  const onError = given.onError;
  const logger = given.logger ?? console;
  return Object.freeze({
    endpoints: Object.freeze(resolveEndpoints(given.endpoints)),
    clientName: checkBoundedText("clientName", given.clientName ?? CLIENT_DEFAULTS.clientName, 255),
    credentials: given.credentials,
    heartbeatMs: checkInteger("heartbeatMs", given.heartbeatMs ?? CLIENT_DEFAULTS.heartbeatMs, 0, ProtocolLimits.maxHeartbeatMs),
    connectTimeoutMs: checkInteger("connectTimeoutMs", given.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs, 1, MAX_TIMER_MS),
    requestTimeoutMs: checkInteger("requestTimeoutMs", given.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs, 1, MAX_TIMER_MS),
    closeTimeoutMs: checkInteger("closeTimeoutMs", given.closeTimeoutMs ?? CLIENT_DEFAULTS.closeTimeoutMs, 0, MAX_TIMER_MS),
    reconnect: resolveReconnect(given.reconnect),
    logger,
    // Called from the read loop; the callback runs in a later turn so that a slow or throwing
    // handler never runs between two frames of the same read.
    onError: (error: SinewError): void => {
      if (onError === undefined) return;
      setImmediate(() => {
        try {
          onError(error);
        } catch (thrown) {
          logger.warn("sinew: the onError callback threw; the exception is ignored", thrown);
        }
      });
    },
  });
}

/** The endpoints as text, for messages. */
export function describeEndpoints(endpoints: readonly Endpoint[]): string {
  return endpoints.map(formatEndpoint).join(", ");
}
