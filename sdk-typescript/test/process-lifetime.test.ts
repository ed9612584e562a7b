// Nothing keeps the process alive once the client is closed: a child process that connects,
// works (subscription, publishes, heartbeats, settlements, a reliable publisher) and closes
// must exit on its own, and the broker must have seen its Goodbye. Conversely, an operation
// waiting out a reconnect backoff keeps the process alive until it completes.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNode } from "./support/child-process.js";
import { buildRunnablePackage, type RunnablePackage } from "./support/runnable-package.js";
import { startBroker } from "./support/harness.js";

const TIMEOUT_MS = 20_000;
let runnable: RunnablePackage;

beforeAll(() => {
  runnable = buildRunnablePackage();
}, TIMEOUT_MS);

afterAll(() => runnable?.remove());

const SCRIPT = `
import { OutgoingMessage, SinewClient } from "@sinew/client";
const client = await SinewClient.connect({ endpoints: [process.env.BROKER], heartbeatMs: 50 });
await client.declareQueue("orders", { partitions: 2 });
const subscription = await client.subscribe("orders");
const publisher = client.createPublisher("orders");
await publisher.publish(OutgoingMessage.text("one"));
await publisher.publishUnconfirmed("two");
const reliable = client.createReliablePublisher("orders");
await reliable.publish("three");
for (let index = 0; index < 3; index++) {
  const delivery = await subscription.receive({ signal: AbortSignal.timeout(5000) });
  await delivery.ack();
}
// A receive still waiting when the client closes must not hold the process either.
const waiting = subscription.receive().catch((error) => error.reason);
await new Promise((resolve) => setTimeout(resolve, 120));
await client.close();
console.log("closed", await waiting);
`;

describe("process lifetime", () => {
  it("lets the process exit on its own after close, having said Goodbye", async () => {
    const broker = await startBroker();
    const script = join(runnable.root, "connect-and-close.mjs");
    writeFileSync(script, SCRIPT);
    const outcome = await runNode(script, { cwd: runnable.root, env: { BROKER: broker.address }, boundMs: 5000 });
    expect(outcome.timedOut, `the process did not exit on its own; stderr: ${outcome.stderr}`).toBe(false);
    expect(outcome.stderr).toBe("");
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trim()).toBe("closed client_closed");
    expect(broker.framesOf("Goodbye")).toHaveLength(1);
    expect(broker.framesOf("Ping").length).toBeGreaterThan(0);
  }, TIMEOUT_MS);

  it("lets the process exit when the client is never closed but the connection is lost", async () => {
    const broker = await startBroker();
    const script = join(runnable.root, "connect-and-lose.mjs");
    writeFileSync(
      script,
      `import { SinewClient } from "@sinew/client";
const client = await SinewClient.connect({ endpoints: [process.env.BROKER], heartbeatMs: 50 });
await client.declareQueue("orders");
console.log("connected");`,
    );
    const running = runNode(script, { cwd: runnable.root, env: { BROKER: broker.address }, boundMs: 5000 });
    await broker.waitForFrame("DeclareQueue", () => true, 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    broker.dropConnections();
    const outcome = await running;
    expect(outcome.timedOut, "a dropped connection left something keeping the process alive").toBe(false);
    expect(outcome.code).toBe(0);
  }, TIMEOUT_MS);

  it("keeps the process alive while an operation waits between reconnect attempts", async () => {
    const broker = await startBroker();
    const script = join(runnable.root, "reconnect-and-close.mjs");
    writeFileSync(
      script,
      `import { SinewClient } from "@sinew/client";
const client = await SinewClient.connect({ endpoints: [process.env.BROKER], reconnect: { initialDelayMs: 300, jitter: 0 } });
await client.declareQueue("orders");
console.log("connected");
while (client.isConnected) await new Promise((resolve) => setTimeout(resolve, 10));
await client.declareQueue("orders");
await client.close();
console.log("reconnected");`,
    );
    const running = runNode(script, { cwd: runnable.root, env: { BROKER: broker.address }, boundMs: 8000 });
    await broker.waitForFrame("DeclareQueue", () => true, 5000);
    // The first reconnect attempt is refused; the next one, after the backoff, succeeds.
    broker.refuseConnections = true;
    broker.dropConnections();
    await broker.waitFor(() => broker.connectionTimes.length === 2, 5000, "the refused attempt");
    broker.refuseConnections = false;
    const outcome = await running;
    expect(outcome.stderr).toBe("");
    expect(outcome.stdout.split("\n").filter(Boolean)).toEqual(["connected", "reconnected"]);
    expect(outcome.code).toBe(0);
    expect(broker.sessions).toHaveLength(2);
  }, TIMEOUT_MS);
});
