// The client in a process of its own against the real broker: closing it leaves nothing that
// keeps the process alive, a lost connection does not either, and settlements leave at once even
// when the process has nothing else to do (no traffic would otherwise wake it).

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNode } from "../support/child-process.js";
import { BROKER_HOOK_TIMEOUT_MS, BROKER_TEST_TIMEOUT_MS, uniqueTopic, useRealBroker } from "../support/real-broker.js";
import { buildRunnablePackage, type RunnablePackage } from "../support/runnable-package.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const broker = useRealBroker();
let runnable: RunnablePackage;

beforeAll(() => {
  runnable = buildRunnablePackage();
}, BROKER_HOOK_TIMEOUT_MS);

afterAll(() => runnable?.remove());

function script(name: string, source: string): string {
  const path = join(runnable.root, name);
  writeFileSync(path, source);
  return path;
}

describe("the client in its own process", () => {
  it("lets the process exit on its own after close, having used every feature", async () => {
    const path = script(
      "everything-then-close.mjs",
      `import { OutgoingMessage, SinewClient } from "@sinew/client";
const topic = process.env.TOPIC;
const client = await SinewClient.connect({ endpoints: [process.env.BROKER], heartbeatMs: 1000 });
await client.declareQueue(topic, { partitions: 2 });
const subscription = await client.subscribe(topic, { prefetch: 10 });
const publisher = client.createPublisher(topic);
await publisher.publish(OutgoingMessage.json({ n: 1 }, { key: "k" }));
await publisher.publishUnconfirmed("two");
await (await publisher.publishWithConfirmation("three")).receipt;
await publisher.publishBatch(["four", "five"]);
await client.createReliablePublisher(topic).publish("six");
await publisher.publish(OutgoingMessage.text("delayed", { delayMs: 60_000 }));
const received = [];
for (let index = 0; index < 6; index++) {
  const delivery = await subscription.receive({ signal: AbortSignal.timeout(5000) });
  received.push(delivery);
}
await received[0].extendLease(10_000);
await received[0].ack();
await received[1].retryAfter(60_000);
await received[2].fail("bad");
// Three deliveries are left unsettled, and a receive is still waiting, when the client closes.
const waiting = subscription.receive().catch((error) => error.reason);
await client.topology();
await client.close();
console.log("closed", await waiting);
`,
    );
    const outcome = await runNode(path, { cwd: runnable.root, env: { BROKER: broker().protocolAddress, TOPIC: uniqueTopic("lifetime") }, boundMs: 10_000 });
    expect(outcome.timedOut, `the process did not exit on its own; stderr: ${outcome.stderr}`).toBe(false);
    expect(outcome.stderr).toBe("");
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trim()).toBe("closed client_closed");
  }, BROKER_TEST_TIMEOUT_MS);

  it("lets the process exit when the connection is lost and the client never closed", async () => {
    const proxy = await TcpProxy.start(broker().protocolAddress);
    try {
      const path = script(
        "lose-connection.mjs",
        `import { SinewClient } from "@sinew/client";
const client = await SinewClient.connect({ endpoints: [process.env.BROKER], heartbeatMs: 1000 });
await client.declareQueue(process.env.TOPIC);
const subscription = await client.subscribe(process.env.TOPIC);
subscription.receive().catch((error) => console.log("ended", error.reason));
console.log("connected");
`,
      );
      const running = runNode(path, { cwd: runnable.root, env: { BROKER: proxy.address, TOPIC: uniqueTopic("lose") }, boundMs: 10_000 });
      const deadline = performance.now() + 5000;
      while (proxy.openConnections === 0 || !proxy.seen.some((entry) => entry.op === "SubscribeOk")) {
        if (performance.now() > deadline) throw new Error("the child never subscribed");
        await new Promise((resolveLater) => setTimeout(resolveLater, 20));
      }
      proxy.cutAll();
      const outcome = await running;
      expect(outcome.timedOut, "a lost connection left something keeping the process alive").toBe(false);
      expect(outcome.code).toBe(0);
      expect(outcome.stdout.split("\n").filter(Boolean)).toEqual(["connected", "ended connection_lost"]);
    } finally {
      await proxy.stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("sends settlements at once in a process with nothing else to do", async () => {
    // The broker pings only once a minute here, so nothing but the client's own settlement can
    // wake an idle event loop: a settlement held back until other traffic never leaves in time.
    const path = script(
      "idle-settlements.mjs",
      `import { SinewClient } from "@sinew/client";
const topic = process.env.TOPIC;
const client = await SinewClient.connect({ endpoints: [process.env.BROKER], heartbeatMs: 60_000 });
await client.declareQueue(topic, { leaseMs: 120_000 });
await client.createPublisher(topic).publishBatch(["one", "two", "three"]);
const subscription = await client.subscribe(topic, { prefetch: 1 });
// Each settlement is issued from a timer, as by a handler that waited for timed work.
const work = () => new Promise((resolve) => setTimeout(resolve, 5));
const first = await subscription.receive();
await work();
await first.extendLease();
await work();
await first.ack();
const second = await subscription.receive();
await work();
await second.retry();
const third = await subscription.receive();
await work();
await third.fail("done");
const again = await subscription.receive();
await work();
await again.ack();
await client.close();
console.log([first, second, third, again].map((delivery) => delivery.text() + "#" + delivery.attempt).join(" "));
`,
    );
    const outcome = await runNode(path, { cwd: runnable.root, env: { BROKER: broker().protocolAddress, TOPIC: uniqueTopic("idle") }, boundMs: 10_000 });
    expect(outcome.timedOut, `settlements were held back; stdout: ${outcome.stdout} stderr: ${outcome.stderr}`).toBe(false);
    expect(outcome.stderr).toBe("");
    // A retried message may come back before or after the next one; the spec does not order them.
    expect(outcome.stdout.trim().split(" ").sort()).toEqual(["one#1", "three#1", "two#1", "two#2"]);
    expect(outcome.code).toBe(0);
  }, BROKER_TEST_TIMEOUT_MS);

  it("lets the process exit on its own after close, having sent heartbeats and said Goodbye", async () => {
    const proxy = await TcpProxy.start(broker().protocolAddress);
    try {
      const path = script(
        "heartbeats-then-close.mjs",
        `import { OutgoingMessage, SinewClient } from "@sinew/client";
const topic = process.env.TOPIC;
// One second is the shortest heartbeat the broker accepts.
const client = await SinewClient.connect({ endpoints: [process.env.BROKER], heartbeatMs: 1000 });
await client.declareQueue(topic, { partitions: 2 });
const subscription = await client.subscribe(topic);
const publisher = client.createPublisher(topic);
await publisher.publish(OutgoingMessage.text("one"));
await publisher.publishUnconfirmed("two");
const reliable = client.createReliablePublisher(topic);
await reliable.publish("three");
for (let index = 0; index < 3; index++) {
  const delivery = await subscription.receive({ signal: AbortSignal.timeout(5000) });
  await delivery.ack();
}
// A receive still waiting when the client closes must not hold the process either; the wait
// outlasts a heartbeat interval, so the client pings.
const waiting = subscription.receive().catch((error) => error.reason);
await new Promise((resolve) => setTimeout(resolve, 1200));
await client.close();
console.log("closed", await waiting);
`,
      );
      const outcome = await runNode(path, { cwd: runnable.root, env: { BROKER: proxy.address, TOPIC: uniqueTopic("heartbeats") }, boundMs: 10_000 });
      expect(outcome.timedOut, `the process did not exit on its own; stderr: ${outcome.stderr}`).toBe(false);
      expect(outcome.stderr).toBe("");
      expect(outcome.code).toBe(0);
      expect(outcome.stdout.trim()).toBe("closed client_closed");
      const sent = proxy.seen.filter((entry) => entry.fromClient).map((entry) => entry.op);
      expect(sent.filter((op) => op === "Goodbye")).toHaveLength(1);
      // Heartbeats ran: the client pinged, or answered the broker's ping, whichever side's timer fired first.
      expect(sent.filter((op) => op === "Ping" || op === "Pong").length).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);
});
