// The conformance driver (conformance/driver.mjs, the package's `sinew-conformance-driver` bin)
// driven over stdin and stdout as the conformance runner drives it, against the real broker:
// describe and reset, a full round trip, every settlement step, error reporting, unsupported
// steps, and a clean exit when its input ends.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DriverSession } from "../support/driver-session.js";
import { BROKER_HOOK_TIMEOUT_MS, BROKER_TEST_TIMEOUT_MS, uniqueTopic, useRealBroker } from "../support/real-broker.js";
import { buildRunnablePackage, type RunnablePackage } from "../support/runnable-package.js";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as {
  version: string;
  bin: Record<string, string>;
  files: string[];
};
const DOCUMENTED_STEPS = [
  "describe",
  "reset",
  "connect",
  "close_client",
  "declare_queue",
  "create_publisher",
  "publish",
  "publish_many",
  "reliable_publish",
  "subscribe",
  "receive",
  "iterate",
  "receive_none",
  "ack",
  "fail",
  "retry",
  "retry_after",
  "extend_lease",
  "unsubscribe",
  "subscription_end",
  "topology",
  "catalogue",
  "next_catalogue_change",
];

const broker = useRealBroker();
let runnable: RunnablePackage;
const sessions: DriverSession[] = [];

beforeAll(() => {
  runnable = buildRunnablePackage();
}, BROKER_HOOK_TIMEOUT_MS);

afterAll(() => runnable?.remove());

afterEach(async () => {
  for (const session of sessions.splice(0)) {
    const code = await session.finish();
    // The driver writes nothing but responses on stdout, and exits 0 once its input ends.
    for (const line of session.lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(code, session.stderr).toBe(0);
  }
});

/** Starts the driver the way an installed package runs it: through its bin entry. */
function startDriver(): DriverSession {
  const bin = manifest.bin["sinew-conformance-driver"];
  if (bin === undefined) throw new Error("package.json has no sinew-conformance-driver bin");
  const installed = join(runnable.root, "node_modules", "@sinew", "client");
  const session = DriverSession.start(join(installed, bin), { cwd: runnable.root, broker: broker().protocolAddress });
  sessions.push(session);
  return session;
}

describe("conformance driver", () => {
  it("describes itself: the client, its version and every documented step", async () => {
    const driver = startDriver();
    const described = await driver.ok("describe");
    expect(described["client"]).toBe("typescript");
    expect(described["version"]).toBe(manifest.version);
    expect([...(described["steps"] as string[])].sort()).toEqual([...DOCUMENTED_STEPS].sort());
  }, BROKER_TEST_TIMEOUT_MS);

  it("ships in the package: the bin is listed in the package's files", () => {
    const bin = manifest.bin["sinew-conformance-driver"];
    expect(bin).toBe("conformance/driver.mjs");
    expect(manifest.files).toContain(bin);
    expect(readFileSync(join(packageRoot, bin as string), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    // npm resolves the package's file list the same way.
    const packed = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: packageRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })) as {
      files: { path: string }[];
    }[];
    expect(packed[0]?.files.map((file) => file.path)).toContain("conformance/driver.mjs");
    // The module the driver imports its catalogue steps from ships with it.
    expect(manifest.files).toContain("conformance/catalogue-steps.mjs");
    expect(packed[0]?.files.map((file) => file.path)).toContain("conformance/catalogue-steps.mjs");
  }, BROKER_TEST_TIMEOUT_MS);

  it("connects, declares, publishes, subscribes, receives and acknowledges", async () => {
    const driver = startDriver();
    const topic = uniqueTopic("driver");
    expect((await driver.ok("connect", { client: "c" }))["server_id"]).toMatch(/\S/);
    expect(await driver.ok("declare_queue", { client: "c", topic, partitions: 2, max_retries: 3, lease_ms: 10_000 })).toEqual({
      created: true,
      partitions: 2,
      max_retries: 3,
      default_ttl_ms: null,
      lease_ms: 10_000,
      dead_letter: { kind: "global", topic: null, group: null },
    });
    expect(await driver.ok("create_publisher", { client: "c", publisher: "p", topic })).toEqual({});
    const message = { payload: { text: "héllo" }, headers: { tenant: "acme" }, key: "customer-1" };
    const receipt = await driver.ok("publish", { publisher: "p", message });
    expect(receipt).toMatchObject({ offset: "0", duplicate: false });
    expect([0, 1]).toContain(receipt["partition"]);
    expect(await driver.ok("subscribe", { client: "c", subscription: "s", topic })).toEqual({});
    const delivery = await driver.ok("receive", { subscription: "s", delivery: "d" });
    expect(delivery).toMatchObject({
      payload_base64: Buffer.from("héllo").toString("base64"),
      payload_text: "héllo",
      content_type: "text/plain; charset=utf-8",
      headers: { tenant: "acme" },
      offset: "0",
      partition: receipt["partition"],
      attempt: 1,
      failures: 0,
      max_retries: 3,
      is_last_attempt: false,
    });
    expect(delivery["published_at_ms"]).toBeGreaterThan(0);
    expect(delivery["received_at_ms"]).toBeGreaterThanOrEqual(delivery["published_at_ms"] as number);
    expect(await driver.ok("ack", { delivery: "d" })).toEqual({});
    expect(await driver.ok("unsubscribe", { subscription: "s" })).toEqual({});
    await driver.ok("subscribe", { client: "c", subscription: "again", topic });
    expect(await driver.ok("receive_none", { subscription: "again", within_ms: 300 })).toEqual({});
    expect((await driver.ok("topology", { client: "c" }))["queues"]).toContainEqual({ topic, group: null, partitions: 2 });
    expect(await driver.ok("close_client", { client: "c" })).toEqual({});
  }, BROKER_TEST_TIMEOUT_MS);

  it("reports the catalogue and the change another client's declaration makes", async () => {
    const driver = startDriver();
    const topic = uniqueTopic("driver-catalogue");
    await driver.ok("connect", { client: "watcher" });
    await driver.ok("connect", { client: "declarer" });
    expect((await driver.ok("catalogue", { client: "watcher" }))["generation"]).toMatch(/^\d+$/);
    expect(await driver.error("next_catalogue_change", { client: "watcher", timeout_ms: 100 })).toMatchObject({ type: "OperationTimeoutError" });
    await driver.ok("declare_queue", { client: "declarer", topic, partitions: 3 });
    const expected = { topic, group: null, partitions: 3, routing_version: "1" };
    const change = await driver.ok("next_catalogue_change", { client: "watcher", timeout_ms: 5000 });
    expect(change["added"]).toContainEqual(expected);
    expect(change["removed"]).toEqual([]);
    expect((await driver.ok("catalogue", { client: "watcher" }))["queues"]).toContainEqual(expected);
  }, BROKER_TEST_TIMEOUT_MS);

  it("publishes every payload kind in every mode", async () => {
    const driver = startDriver();
    const topic = uniqueTopic("driver-modes");
    await driver.ok("connect", { client: "c" });
    await driver.ok("declare_queue", { client: "c", topic });
    await driver.ok("create_publisher", { client: "c", publisher: "p", topic });
    expect(await driver.ok("publish", { publisher: "p", mode: "unconfirmed", message: { payload: { json: { n: 1 } } } })).toEqual({});
    expect(await driver.ok("publish", { publisher: "p", mode: "pipelined", message: { payload: { base64: "/wA=" } } })).toMatchObject({ offset: "1" });
    expect(await driver.ok("publish", { publisher: "p", message: { payload: { base64: "AQI=", content_type: "application/x-custom" } } })).toMatchObject({ offset: "2" });
    const many = { payload: { text: "m" } };
    expect(await driver.ok("publish_many", { publisher: "p", mode: "pipelined", messages: [many, many] })).toEqual({
      receipts: [
        { partition: 0, offset: "3", duplicate: false },
        { partition: 0, offset: "4", duplicate: false },
      ],
    });
    expect(((await driver.ok("publish_many", { publisher: "p", mode: "batch", messages: [many, many, many] }))["receipts"] as unknown[]).map((entry) => (entry as { offset: string }).offset)).toEqual(["5", "6", "7"]);
    expect(((await driver.ok("reliable_publish", { client: "c", topic, messages: [many] }))["receipts"] as unknown[])).toEqual([{ partition: 0, offset: "8", duplicate: false }]);
    // The same producer id and sequence twice: the second publish is answered with the stored copy.
    const idempotent = { client: "c", topic, producer_id: "driver-tests", first_sequence: 5, messages: [many] };
    expect((await driver.ok("reliable_publish", idempotent))["receipts"]).toEqual([{ partition: 0, offset: "9", duplicate: false }]);
    expect((await driver.ok("reliable_publish", idempotent))["receipts"]).toEqual([{ partition: 0, offset: "9", duplicate: true }]);
    await driver.ok("subscribe", { client: "c", subscription: "s", topic, ack_mode: "auto", prefetch: 20 });
    expect(await driver.ok("receive", { subscription: "s", delivery: "json" })).toMatchObject({ payload_text: '{"n":1}', content_type: "application/json" });
    expect(await driver.ok("receive", { subscription: "s", delivery: "binary" })).toMatchObject({ payload_base64: "/wA=", payload_text: null, content_type: null });
    expect(await driver.ok("receive", { subscription: "s", delivery: "custom" })).toMatchObject({ payload_base64: "AQI=", content_type: "application/x-custom" });
    // An auto-ack delivery cannot be settled by hand.
    expect(await driver.error("ack", { delivery: "custom" })).toMatchObject({ type: "InvalidArgumentError", code: "invalid_argument", retryable: false, reason: "auto_ack" });
  }, BROKER_TEST_TIMEOUT_MS);

  it("retries, delays, extends and dead-letters through the settlement steps", async () => {
    const driver = startDriver();
    const topic = uniqueTopic("driver-settle");
    const dead = `${topic}.dead`;
    await driver.ok("connect", { client: "c" });
    await driver.ok("declare_queue", { client: "c", topic: dead });
    expect(await driver.ok("declare_queue", { client: "c", topic, dead_letter: { kind: "queue", topic: dead } })).toMatchObject({
      dead_letter: { kind: "queue", topic: dead, group: null },
    });
    await driver.ok("create_publisher", { client: "c", publisher: "p", topic });
    await driver.ok("publish", { publisher: "p", message: { payload: { text: "job" } } });
    await driver.ok("subscribe", { client: "c", subscription: "s", topic });
    await driver.ok("receive", { subscription: "s", delivery: "first" });
    expect(await driver.ok("extend_lease", { delivery: "first", by_ms: 5000 })).toEqual({});
    expect(await driver.ok("extend_lease", { delivery: "first" })).toEqual({});
    expect(await driver.ok("retry", { delivery: "first", reason: "busy" })).toEqual({});
    expect(await driver.ok("receive", { subscription: "s", delivery: "second" })).toMatchObject({ attempt: 2, failures: 1 });
    const delayedAt = Date.now();
    expect(await driver.ok("retry_after", { delivery: "second", delay_ms: 400, reason: "still busy" })).toEqual({});
    const third = await driver.ok("receive", { subscription: "s", delivery: "third" });
    expect(third).toMatchObject({ attempt: 3, failures: 2 });
    expect(third["received_at_ms"]).toBeGreaterThanOrEqual(delayedAt + 400);
    expect(await driver.ok("fail", { delivery: "third", reason: "gave up" })).toEqual({});
    await driver.ok("subscribe", { client: "c", subscription: "dlq", topic: dead });
    expect(await driver.ok("receive", { subscription: "dlq", delivery: "copy" })).toMatchObject({
      payload_text: "job",
      headers: { "sinew.dlq.reason": "terminal_nack", "sinew.dlq.error": "gave up", "sinew.dlq.attempts": "3", "sinew.dlq.source_topic": topic },
    });
    // A second settlement is refused by the client.
    expect(await driver.error("ack", { delivery: "third" })).toMatchObject({ type: "InvalidArgumentError", reason: "already_settled" });
  }, BROKER_TEST_TIMEOUT_MS);

  it("reports errors with the client's type, code and retryable flag, and the details of each kind", async () => {
    const driver = startDriver();
    const topic = uniqueTopic("driver-errors");
    await driver.ok("connect", { client: "c" });
    expect(await driver.error("subscribe", { client: "c", subscription: "s", topic })).toMatchObject({
      type: "BrokerError",
      code: "not_found",
      retryable: false,
      broker_code: 8,
      details: { topic },
    });
    await driver.ok("declare_queue", { client: "c", topic, partitions: 2 });
    const conflict = await driver.error("declare_queue", { client: "c", topic, partitions: 3 });
    expect(conflict).toMatchObject({ type: "BrokerError", code: "conflict", retryable: false, details: { field: "partitions", existing: "2", requested: "3" } });
    expect(conflict["message"]).toEqual(expect.stringContaining("partitions"));
    expect(await driver.error("declare_queue", { client: "c", topic: "new orders" })).toMatchObject({
      type: "InvalidArgumentError",
      code: "invalid_argument",
      retryable: false,
      argument: "topic",
      reason: "whitespace",
    });
    await driver.ok("subscribe", { client: "c", subscription: "s", topic });
    expect(await driver.error("receive", { subscription: "s", delivery: "d", timeout_ms: 200 })).toMatchObject({ type: "OperationTimeoutError", code: "timeout", retryable: true });
    expect(await driver.error("subscription_end", { subscription: "s", timeout_ms: 100 })).toMatchObject({ type: "OperationTimeoutError" });
    expect(await driver.error("connect", { client: "nowhere", endpoint: "127.0.0.1:1", connect_timeout_ms: 5000 })).toMatchObject({
      type: "ConnectionError",
      code: "connection_failed",
      retryable: true,
    });
    // A message field of the wrong JSON type is the driver's own error, never silently dropped.
    await driver.ok("create_publisher", { client: "c", publisher: "p", topic });
    expect(await driver.error("publish", { publisher: "p", message: { payload: { text: "x" }, delay_ms: "700" } })).toMatchObject({ type: "Unexpected" });
    // Names never created are the driver's own errors.
    expect(await driver.error("ack", { delivery: "never" })).toMatchObject({ type: "Unexpected", retryable: false });
    expect(await driver.error("publish", { publisher: "never", message: { payload: { text: "x" } } })).toMatchObject({ type: "Unexpected" });
  }, BROKER_TEST_TIMEOUT_MS);

  it("ends a subscription with client_closed when its client is closed", async () => {
    const driver = startDriver();
    const topic = uniqueTopic("driver-end");
    await driver.ok("connect", { client: "c" });
    await driver.ok("declare_queue", { client: "c", topic });
    await driver.ok("subscribe", { client: "c", subscription: "s", topic });
    await driver.ok("close_client", { client: "c" });
    expect(await driver.ok("subscription_end", { subscription: "s", timeout_ms: 2000 })).toEqual({ reason: "client_closed" });
    expect(await driver.error("receive", { subscription: "s", delivery: "d", timeout_ms: 200 })).toMatchObject({
      type: "SubscriptionEndedError",
      code: "client_closed",
      retryable: false,
      reason: "client_closed",
    });
  }, BROKER_TEST_TIMEOUT_MS);

  it("answers a step it does not know as unsupported, and a line that is not a request as an error", async () => {
    const driver = startDriver();
    const unsupported = await driver.request("teleport", { to: "mars" });
    expect(unsupported.unsupported).toEqual(expect.stringContaining("teleport"));
    expect(unsupported.ok).toBeUndefined();
    driver.writeLine("this is not json");
    expect(await driver.responseTo(null, 5000, "the malformed line")).toMatchObject({ ok: false, error: { type: "Unexpected" } });
    // It keeps working afterwards.
    expect((await driver.ok("describe"))["client"]).toBe("typescript");
  }, BROKER_TEST_TIMEOUT_MS);

  it("resets: every client is closed, returning what it held, and every handle is forgotten", async () => {
    const driver = startDriver();
    const topic = uniqueTopic("driver-reset");
    await driver.ok("connect", { client: "c" });
    await driver.ok("declare_queue", { client: "c", topic });
    await driver.ok("create_publisher", { client: "c", publisher: "p", topic });
    await driver.ok("publish", { publisher: "p", message: { payload: { text: "held" } } });
    await driver.ok("subscribe", { client: "c", subscription: "s", topic });
    await driver.ok("receive", { subscription: "s", delivery: "d" });
    expect(await driver.ok("reset")).toEqual({});
    for (const [step, args] of [
      ["publish", { publisher: "p", message: { payload: { text: "x" } } }],
      ["receive", { subscription: "s", delivery: "e" }],
      ["ack", { delivery: "d" }],
      ["topology", { client: "c" }],
    ] as const) {
      expect(await driver.error(step, args), step).toMatchObject({ type: "Unexpected" });
    }
    // The name is free again, and the held message went back to the queue.
    await driver.ok("connect", { client: "c" });
    await driver.ok("subscribe", { client: "c", subscription: "s", topic });
    expect(await driver.ok("receive", { subscription: "s", delivery: "d" })).toMatchObject({ payload_text: "held", attempt: 2 });
  }, BROKER_TEST_TIMEOUT_MS);
});
