// The broker going away and coming back: subscriptions end with a typed reason when it shuts
// down, operations in flight fail with ConnectionLostError, the next operation reconnects to the
// restarted broker (same port, same data) for publishing and subscribing, and what the broker
// made durable is still there. The tests share one broker that each leaves running.

import { afterEach, describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/errors/connection-error.js";
import { ConnectionLostError } from "../../src/errors/connection-lost-error.js";
import type { SinewError } from "../../src/errors/sinew-error.js";
import { SubscriptionEndedError } from "../../src/errors/subscription-ended-error.js";
import {
  BROKER_TEST_TIMEOUT_MS,
  connect,
  eventually,
  expectNoDelivery,
  receiveMany,
  receiveWithin,
  rejectionOf,
  uniqueTopic,
  useRealBroker,
} from "../support/real-broker.js";
import { thrownBy } from "../support/thrown.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const broker = useRealBroker();
const RESTART_TIMEOUT_MS = 40_000;

afterEach(async () => {
  if (!broker().isRunning) await broker().restart();
}, RESTART_TIMEOUT_MS);

describe("broker shutdown", () => {
  it("ends subscriptions with reason server_shutdown when the broker stops, and the broker exits cleanly", async () => {
    const errors: SinewError[] = [];
    const client = await connect(broker(), { onError: (error) => errors.push(error) });
    const topic = uniqueTopic("shutdown");
    await client.declareQueue(topic, { partitions: 2 });
    const manual = await client.subscribe(topic);
    const auto = await client.subscribe(topic, { ackMode: "auto" });
    const waiting = rejectionOf(manual.receive());
    const iterated = rejectionOf(
      (async () => {
        for await (const delivery of auto) void delivery;
      })(),
    );
    expect(await broker().stop()).toBe(0);
    for (const ended of await Promise.all([waiting, iterated])) {
      expect(ended).toBeInstanceOf(SubscriptionEndedError);
      expect(ended).toMatchObject({ reason: "server_shutdown", code: "server_shutdown", isRetryable: true });
    }
    expect(manual.endReason).toBe("server_shutdown");
    expect(auto.endReason).toBe("server_shutdown");
    await eventually(() => (client.isConnected ? undefined : true), 5000, "the client noticing the closed connection");
    expect(errors.some((error) => error instanceof ConnectionLostError)).toBe(true);
  }, RESTART_TIMEOUT_MS);

  it("returns unsettled deliveries on shutdown, so they are delivered again after the restart", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("shutdown-unsettled");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publishBatch(["held", "waiting"]);
    const subscription = await client.subscribe(topic, { prefetch: 1 });
    const held = await receiveWithin(subscription);
    await broker().restart();
    // The delivery belonged to the old session: it cannot be settled any more.
    expect(thrownBy(() => held.ack())).toBeInstanceOf(ConnectionLostError);
    const again = await client.subscribe(topic, { ackMode: "auto" });
    const redelivered = await receiveMany(again, 2);
    expect(redelivered.map((delivery) => `${delivery.text()}#${delivery.attempt}`)).toEqual(["held#2", "waiting#1"]);
  }, RESTART_TIMEOUT_MS);
});

describe("reconnecting", () => {
  it("reconnects before the next operation after a restart on the same port, for publishing and subscribing", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("reconnect");
    await client.declareQueue(topic, { partitions: 2 });
    const publisher = client.createPublisher(topic);
    const before = await publisher.publishBatch(["before-0", "before-1"]);
    const firstSession = client.serverInfo?.sessionId;
    await broker().restart();
    await eventually(() => (client.isConnected ? undefined : true), 5000, "the client noticing the restart");
    // The same publisher keeps working: the publish reconnects first.
    const after = await publisher.publishBatch(["after-0", "after-1"]);
    expect(client.isConnected).toBe(true);
    // A new session, never a resumed one: the broker does not resume sessions.
    expect(client.serverInfo?.sessionId).not.toBe(firstSession);
    // Offsets continue where the durable log left off.
    expect(after.map((receipt) => receipt.offset)).toEqual(before.map((receipt) => receipt.offset + 1n));
    const subscription = await client.subscribe(topic, { ackMode: "auto" });
    const texts = (await receiveMany(subscription, 4)).map((delivery) => delivery.text()).sort();
    expect(texts).toEqual(["after-0", "after-1", "before-0", "before-1"]);
  }, RESTART_TIMEOUT_MS);

  it("fails the next operation with ConnectionError once every reconnect attempt failed, and recovers later", async () => {
    const client = await connect(broker(), { reconnect: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50 } });
    const topic = uniqueTopic("unreachable");
    await client.declareQueue(topic);
    await broker().stop();
    await eventually(() => (client.isConnected ? undefined : true), 5000, "the client noticing the stop");
    const error = await rejectionOf(client.declareQueue(topic));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: "connection_failed", isRetryable: true });
    expect((error as Error).message).toContain("3 attempts");
    await broker().restart();
    // The next operation starts a fresh round of attempts.
    expect(await client.declareQueue(topic)).toMatchObject({ created: false });
  }, RESTART_TIMEOUT_MS);

  it("keeps the dedup state across a restart: a reliable publisher's retry after it is a duplicate", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("durable-dedup");
    await client.declareQueue(topic);
    const producerId = `producer-${topic}`;
    const stored = await client.createReliablePublisher(topic, { producerId }).publish("once");
    await broker().restart();
    const retried = await client.createReliablePublisher(topic, { producerId, firstSequence: 1n }).publish("once, retried");
    expect(retried).toEqual({ ...stored, duplicate: true });
  }, RESTART_TIMEOUT_MS);
});

describe("losing the connection", () => {
  it("fails operations in flight with ConnectionLostError, ends subscriptions with connection_lost, and recovers", async () => {
    const proxy = await TcpProxy.start(broker().protocolAddress);
    try {
      const client = await connect(proxy.address);
      const topic = uniqueTopic("in-flight");
      await client.declareQueue(topic);
      const subscription = await client.subscribe(topic);
      const waiting = rejectionOf(subscription.receive());
      // The confirmed publish reaches the proxy, which drops the connection instead of passing it on.
      proxy.inspect = (op, fromClient) => (fromClient && op === "Publish" ? "cut" : "forward");
      const publisher = client.createPublisher(topic);
      const lost = await rejectionOf(publisher.publish("lost in flight"));
      expect(lost).toBeInstanceOf(ConnectionLostError);
      expect(lost).toMatchObject({ code: "connection_lost", isRetryable: true });
      const ended = await waiting;
      expect(ended).toBeInstanceOf(SubscriptionEndedError);
      expect(ended).toMatchObject({ reason: "connection_lost", isRetryable: true });
      // Not replayed: after reconnecting, the queue holds only what is published now.
      proxy.inspect = () => "forward";
      expect(await publisher.publish("after")).toMatchObject({ offset: 0n });
      const again = await client.subscribe(topic, { ackMode: "auto" });
      expect((await receiveWithin(again)).text()).toBe("after");
      await expectNoDelivery(again, 200);
    } finally {
      await proxy.stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("fails a request in flight with ConnectionLostError when the broker dies", async () => {
    const proxy = await TcpProxy.start(broker().protocolAddress);
    try {
      const client = await connect(proxy.address);
      const topic = uniqueTopic("killed");
      await client.declareQueue(topic);
      // Hold the declaration at the proxy while the broker is killed.
      proxy.inspect = (op, fromClient) => (fromClient && op === "DeclareQueue" ? "cut" : "forward");
      const declaring = rejectionOf(client.declareQueue(topic));
      await broker().kill();
      expect(await declaring).toBeInstanceOf(ConnectionLostError);
    } finally {
      await proxy.stop();
    }
  }, RESTART_TIMEOUT_MS);
});
