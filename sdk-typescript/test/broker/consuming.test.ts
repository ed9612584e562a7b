// Consuming from the real broker as the engine sees it: auto-ack deliveries the client refuses to
// settle, a slow auto-ack consumer, a delivery's fields and decoders, settlements refused at the
// call before anything is sent (seen through a recording proxy), how a subscription ends when the
// caller closes it, leaves a loop or aborts a receive, and when its connection is cut.

import { encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors/invalid-argument-error.js";
import { OutgoingMessage } from "../../src/publish/outgoing-message.js";
import type { SinewClient } from "../../src/client/sinew-client.js";
import type { OpName } from "../../src/wire/generated/opcodes.js";
import { bytesForwarded, bytesRead, clientThroughProxy } from "../support/proxied-client.js";
import {
  BROKER_TEST_TIMEOUT_MS,
  connect,
  eventually,
  receiveMany,
  receiveWithin,
  rejectionOf,
  uniqueTopic,
  useRealBroker,
} from "../support/real-broker.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { thrownBy } from "../support/thrown.js";

const broker = useRealBroker();

/** A client connected through a recording proxy, and the proxy; `sent(op)` counts the frames of `op` the client sent. */
async function recordedClient(): Promise<{ client: SinewClient; sent: (op: OpName) => number; ops: () => (OpName | undefined)[]; stop: () => Promise<void> }> {
  const proxy = await TcpProxy.start(broker().protocolAddress);
  const client = await connect(proxy.address);
  const ops = (): (OpName | undefined)[] => proxy.seen.filter((entry) => entry.fromClient).map((entry) => entry.op);
  return { client, ops, sent: (op) => ops().filter((seen) => seen === op).length, stop: () => proxy.stop() };
}

/** The total over a queue's partitions of one of the broker's counts. */
async function brokerCount(topic: string, count: "ready" | "inflight" | "unsettled"): Promise<number> {
  return (await broker().queueStats(topic)).reduce((total, partition) => total + partition[count], 0);
}

// The argument and reason of the refusal, whether thrown at the call or by the promise.
async function refusal(call: () => unknown): Promise<[string, string]> {
  let error: unknown;
  try {
    await call();
  } catch (thrown) {
    error = thrown;
  }
  if (!(error instanceof InvalidArgumentError)) throw new Error(`expected an InvalidArgumentError, got ${String(error)}`);
  return [error.argument, error.reason];
}

describe("ack modes", () => {
  it("refuses to settle auto-ack deliveries, which the broker settled itself", async () => {
    const { client, sent, stop } = await recordedClient();
    try {
      const topic = uniqueTopic("auto-refused");
      await client.declareQueue(topic);
      await client.createPublisher(topic).publish("a");
      const subscription = await client.subscribe(topic, { ackMode: "auto" });
      const delivery = await receiveWithin(subscription);
      expect(delivery.ackMode).toBe("auto");
      for (const settle of [() => delivery.ack(), () => delivery.fail(), () => delivery.retry(), () => delivery.retryAfter(5), () => delivery.extendLease()]) {
        expect(thrownBy(settle)).toMatchObject({ name: "InvalidArgumentError", argument: "ackMode", reason: "auto_ack" });
      }
      expect(sent("Ack")).toBe(0);
      expect(await brokerCount(topic, "unsettled")).toBe(0);
    } finally {
      await stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("delivers everything in order to a slow auto-ack consumer with a small prefetch", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("slow-auto");
    await client.declareQueue(topic);
    const payloads = Array.from({ length: 40 }, (_, index) => `m${index}`);
    await client.createPublisher(topic).publishBatch(payloads);
    const subscription = await client.subscribe(topic, { ackMode: "auto", prefetch: 3 });
    const received: string[] = [];
    for await (const delivery of subscription) {
      received.push(delivery.text());
      if (received.length % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      if (received.length === payloads.length) break;
    }
    expect(received).toEqual(payloads);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("deliveries", () => {
  it("expose the payload with text, JSON and MessagePack decoding, and the message's metadata", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("decoding");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    const before = Date.now();
    await publisher.publish(OutgoingMessage.json({ id: 7 }, { headers: { tenant: "acme" } }));
    await publisher.publish(OutgoingMessage.msgpack({ id: 8 }));
    await publisher.publish(OutgoingMessage.text("plain"));
    const subscription = await client.subscribe(topic);
    const [json, msgpack, text] = await receiveMany(subscription, 3);
    expect(json?.json()).toEqual({ id: 7 });
    expect(json?.contentType).toBe("application/json");
    expect(json?.headers.get("tenant")).toBe("acme");
    expect(json).toMatchObject({ topic, group: undefined, partition: 0, offset: 0n, attempt: 1, ackMode: "manual" });
    // The broker numbers deliveries per session; this is the session's first.
    expect(json?.deliveryId).toBe(1n);
    expect(json?.publishedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(msgpack?.msgpack()).toEqual({ id: 8 });
    expect(msgpack?.payload).toEqual(encode({ id: 8 }));
    expect(text?.text()).toBe("plain");
    expect(text?.headers.size).toBe(0);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("settlement refused at the call", () => {
  it("refuses a second settlement, and settling after a settlement, but allows extending before", async () => {
    const { client, sent, stop } = await recordedClient();
    try {
      const topic = uniqueTopic("settle-once");
      await client.declareQueue(topic);
      await client.createPublisher(topic).publish("a");
      const delivery = await receiveWithin(await client.subscribe(topic));
      await delivery.extendLease(1000);
      await delivery.ack();
      expect(delivery.isSettled).toBe(true);
      for (const settle of [() => delivery.ack(), () => delivery.fail("x"), () => delivery.retry(), () => delivery.retryAfter(1), () => delivery.extendLease()]) {
        const error = thrownBy(settle);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect(error).toMatchObject({ reason: "already_settled" });
        expect((error as Error).message).toContain("already settled with ack()");
      }
      expect(sent("Ack")).toBe(1);
    } finally {
      await stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("refuses an overlong fail reason and bad durations before sending", async () => {
    const { client, sent, stop } = await recordedClient();
    try {
      const topic = uniqueTopic("settle-arguments");
      await client.declareQueue(topic);
      await client.createPublisher(topic).publish("a");
      const delivery = await receiveWithin(await client.subscribe(topic));
      expect(thrownBy(() => delivery.fail("r".repeat(1025)))).toMatchObject({ argument: "reason" });
      expect(thrownBy(() => delivery.retryAfter(-1))).toMatchObject({ argument: "delayMs" });
      expect(thrownBy(() => delivery.extendLease(0))).toMatchObject({ argument: "byMs" });
      expect(delivery.isSettled).toBe(false);
      await delivery.ack();
      expect(sent("Nack")).toBe(0);
    } finally {
      await stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("refuses settlements with the shared reasons", async () => {
    const client = await connect(broker());
    const orders = uniqueTopic("orders");
    const audit = uniqueTopic("audit");
    await client.declareQueue(orders, { partitions: 2 });
    await client.declareQueue(audit);
    // Keyless messages go round-robin: the first to partition 0, the second to partition 1.
    await client.createPublisher(orders).publishBatch(["a", "b"]);
    await client.createPublisher(audit).publish("c");
    const manual = await client.subscribe(orders);
    const auto = await client.subscribe(audit, { ackMode: "auto" });
    const [first, second] = await receiveMany(manual, 2);
    const autoAcked = await receiveWithin(auto);
    if (first === undefined || second === undefined) throw new Error("no delivery");
    expect(await refusal(() => autoAcked.ack())).toEqual(["ackMode", "auto_ack"]);
    await first.ack();
    expect(await refusal(() => first.ack())).toEqual(["delivery", "already_settled"]);
    expect(await refusal(() => second.fail("r".repeat(1025)))).toEqual(["reason", "too_long"]);
    expect(await refusal(() => second.retryAfter(-1))).toEqual(["delayMs", "out_of_range"]);
    expect(await refusal(() => second.extendLease(0))).toEqual(["byMs", "out_of_range"]);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("how a subscription ends", () => {
  it("throws connection_lost when the connection drops, after handing out what an auto-ack subscription received", async () => {
    const { proxy, client } = await clientThroughProxy(broker());
    const topic = uniqueTopic("auto-then-cut");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publishBatch(["b", "c"]);
    const auto = await client.subscribe(topic, { ackMode: "auto" });
    // Both were handed over (the broker settled them on sending) and the proxy forwarded all it read.
    await eventually(
      async () => ((await brokerCount(topic, "unsettled")) === 0 && (await bytesForwarded(proxy, "down")) === (await bytesRead(proxy, "down")) ? true : undefined),
      5000,
      "both messages sent to the client",
    );
    // Let the client read both deliveries before the connection goes.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await proxy.cut();
    const received: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const delivery of auto) received.push(delivery.text());
      })(),
    );
    expect(received).toEqual(["b", "c"]);
    expect(error).toMatchObject({ name: "SubscriptionEndedError", reason: "connection_lost", isRetryable: true });
  }, BROKER_TEST_TIMEOUT_MS);

  it("ends quietly when the caller closes it, sending settlements issued before the Unsubscribe", async () => {
    const { client, ops, stop } = await recordedClient();
    try {
      const topic = uniqueTopic("close-quietly");
      await client.declareQueue(topic);
      await client.createPublisher(topic).publishBatch(["a", "b"]);
      const subscription = await client.subscribe(topic);
      const delivery = await receiveWithin(subscription);
      const acked = delivery.ack();
      await subscription.close();
      await acked;
      expect(await rejectionOf(subscription.receive())).toMatchObject({ name: "ClientClosedError", code: "client_closed" });
      expect(subscription.endReason).toBeUndefined();
      expect(ops().filter((op) => op === "Ack" || op === "Unsubscribe")).toEqual(["Ack", "Unsubscribe"]);
      await eventually(async () => ((await brokerCount(topic, "ready")) === 1 ? true : undefined), 2000, "the unsettled message returned");
    } finally {
      await stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("leaves the subscription open when a for-await loop is left with break", async () => {
    const { client, sent, stop } = await recordedClient();
    try {
      const topic = uniqueTopic("break");
      await client.declareQueue(topic);
      await client.createPublisher(topic).publishBatch(["a", "b", "c"]);
      const subscription = await client.subscribe(topic);
      for await (const delivery of subscription) {
        await delivery.ack();
        break;
      }
      expect(sent("Unsubscribe")).toBe(0);
      expect((await subscription.receive({ signal: AbortSignal.timeout(3000) }))?.text()).toBe("b");
      await subscription.close();
      expect(sent("Unsubscribe")).toBe(1);
    } finally {
      await stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("stops one receive on abort and keeps the subscription running", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("abort-receive");
    await client.declareQueue(topic);
    const subscription = await client.subscribe(topic);
    expect(await rejectionOf(subscription.receive({ signal: AbortSignal.timeout(30) }))).toMatchObject({ name: "TimeoutError" });
    await client.createPublisher(topic).publish("a");
    expect((await receiveWithin(subscription, 3000))?.text()).toBe("a");
  }, BROKER_TEST_TIMEOUT_MS);
});
