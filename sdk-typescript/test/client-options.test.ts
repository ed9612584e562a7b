// Client options: defaults, every rejected option named in its InvalidArgumentError, endpoint
// parsing, reconnect backoff, credentials that never print their secret, and the version sent
// in Hello.

import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { credentialsToAuth, SinewCredentials } from "../src/client/credentials.js";
import { backoffDelayMs, DEFAULT_RECONNECT_POLICY } from "../src/client/reconnect-policy.js";
import { CLIENT_DEFAULTS, resolveClientOptions } from "../src/client/resolved-options.js";
import { SinewClient } from "../src/client/sinew-client.js";
import { formatEndpoint, parseEndpoint } from "../src/connection/endpoint.js";
import { InvalidArgumentError } from "../src/errors/invalid-argument-error.js";
import { CLIENT_VERSION } from "../src/version.js";
import type { SinewClientOptions } from "../src/client/client-options.js";

const TIMEOUT_MS = 10_000;

function refusal(options: unknown): InvalidArgumentError {
  try {
    resolveClientOptions(options as SinewClientOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    // Every refusal names the rule it applied with a stable snake_case word.
    expect((error as InvalidArgumentError).reason).toMatch(/^[a-z]+(_[a-z]+)*$/);
    return error as InvalidArgumentError;
  }
  throw new Error(`options ${JSON.stringify(options)} were accepted`);
}

describe("client options", () => {
  it("applies the documented defaults", () => {
    const resolved = resolveClientOptions(undefined);
    expect(resolved.endpoints).toEqual([{ host: "127.0.0.1", port: 7420 }]);
    expect(resolved.clientName).toBe("@sinew/client");
    expect(resolved.heartbeatMs).toBe(10_000);
    expect(resolved.connectTimeoutMs).toBe(10_000);
    expect(resolved.requestTimeoutMs).toBe(30_000);
    expect(resolved.closeTimeoutMs).toBe(2_000);
    expect(resolved.reconnect).toEqual({ maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.2 });
    expect(resolved.credentials).toBeUndefined();
    expect(CLIENT_DEFAULTS.endpoints).toEqual(["127.0.0.1:7420"]);
  }, TIMEOUT_MS);

  it.each([
    [{ endpoints: [] }, "endpoints"],
    [{ endpoints: "127.0.0.1:7420" }, "endpoints"],
    [{ endpoints: ["host:99999"] }, "endpoints"],
    [{ endpoints: ["::1"] }, "endpoints"],
    [{ endpoints: [42] }, "endpoints"],
    [{ clientName: "" }, "clientName"],
    [{ heartbeatMs: -1 }, "heartbeatMs"],
    [{ heartbeatMs: 1.5 }, "heartbeatMs"],
    [{ connectTimeoutMs: 0 }, "connectTimeoutMs"],
    [{ requestTimeoutMs: Number.NaN }, "requestTimeoutMs"],
    [{ requestTimeoutMs: 3_000_000_000 }, "requestTimeoutMs"],
    [{ closeTimeoutMs: -5 }, "closeTimeoutMs"],
    [{ reconnect: { maxAttempts: -1 } }, "reconnect.maxAttempts"],
    [{ reconnect: { initialDelayMs: 500, maxDelayMs: 100 } }, "reconnect.maxDelayMs"],
    [{ reconnect: { jitter: 2 } }, "reconnect.jitter"],
    [{ reconnect: 5 }, "reconnect"],
    [{ credentials: { username: "a", password: "b" } }, "credentials"],
    [{ onError: "log" }, "onError"],
    [{ logger: {} }, "logger"],
    [{ logger: null }, "logger"],
    [{ signal: "abort" }, "signal"],
  ])("rejects %j naming %s", (options, argument) => {
    const error = refusal(options);
    expect(error.argument).toBe(argument);
    expect(error.code).toBe("invalid_argument");
    expect(error.isRetryable).toBe(false);
  }, TIMEOUT_MS);

  it("rejects bad options from connect before opening any connection", async () => {
    await expect(SinewClient.connect({ endpoints: [] })).rejects.toBeInstanceOf(InvalidArgumentError);
  }, TIMEOUT_MS);

  it("runs onError in a later turn, never from inside the caller, in order, and logs what it throws", async () => {
    const seen: string[] = [];
    const warnings: unknown[][] = [];
    const resolved = resolveClientOptions({
      onError: (error) => {
        seen.push(error.message);
        if (error.message === "first") throw new Error("boom");
      },
      logger: { warn: (...args: unknown[]) => warnings.push(args) },
    });
    expect(() => resolved.onError(new InvalidArgumentError("x", "first", { reason: "wrong_type" }))).not.toThrow();
    resolved.onError(new InvalidArgumentError("x", "second", { reason: "wrong_type" }));
    expect(seen).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(["first", "second"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.[1]).toMatchObject({ message: "boom" });
  }, TIMEOUT_MS);

  it("logs to console unless given a logger", () => {
    expect(resolveClientOptions({}).logger).toBe(console);
  }, TIMEOUT_MS);
});

describe("endpoints", () => {
  it.each([
    ["broker.example:7000", { host: "broker.example", port: 7000 }],
    ["broker.example", { host: "broker.example", port: 7420 }],
    ["[::1]:7001", { host: "::1", port: 7001 }],
    ["[fe80::1]", { host: "fe80::1", port: 7420 }],
    [" 10.0.0.1:1 ", { host: "10.0.0.1", port: 1 }],
  ])("parses %s", (text, expected) => {
    expect(parseEndpoint(text)).toEqual(expected);
  }, TIMEOUT_MS);

  it.each(["", ":7420", "host:", "host:0", "host:port", "[::1", "[::1]x", "a:b:c"])("refuses %j with a reason", (text) => {
    expect(typeof parseEndpoint(text)).toBe("string");
  }, TIMEOUT_MS);

  it("prints IPv6 hosts in brackets", () => {
    expect(formatEndpoint({ host: "::1", port: 7420 })).toBe("[::1]:7420");
    expect(formatEndpoint({ host: "localhost", port: 1 })).toBe("localhost:1");
  }, TIMEOUT_MS);
});

describe("reconnect backoff", () => {
  it("starts the first attempt at once and doubles from initialDelayMs up to maxDelayMs", () => {
    const exact = { ...DEFAULT_RECONNECT_POLICY, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((attempt) => backoffDelayMs(exact, attempt))).toEqual([
      0, 100, 200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
  }, TIMEOUT_MS);

  it("takes at most the jitter share off each wait", () => {
    expect(backoffDelayMs(DEFAULT_RECONNECT_POLICY, 3, 0)).toBe(200);
    expect(backoffDelayMs(DEFAULT_RECONNECT_POLICY, 3, 0.999999)).toBe(160);
  }, TIMEOUT_MS);
});

describe("credentials", () => {
  it("never shows the secret when printed, serialised or inspected", () => {
    const plain = SinewCredentials.plain("alice", "s3cret-password");
    const token = SinewCredentials.token("t0ken-value");
    for (const credentials of [plain, token]) {
      const shown = [String(credentials), JSON.stringify(credentials), inspect(credentials), inspect({ credentials })].join(" ");
      expect(shown).not.toContain("s3cret-password");
      expect(shown).not.toContain("t0ken-value");
    }
    expect(credentialsToAuth(plain)).toEqual({ mechanism: "plain", identity: "alice", secret: "s3cret-password" });
    expect(credentialsToAuth(token)).toEqual({ mechanism: "token", identity: "", secret: "t0ken-value" });
  }, TIMEOUT_MS);
});

describe("client version", () => {
  it("equals the version in package.json", () => {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    expect(CLIENT_VERSION).toBe(manifest.version);
  }, TIMEOUT_MS);
});
