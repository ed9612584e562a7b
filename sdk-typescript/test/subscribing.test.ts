// Consuming against the fake broker: fan-in over partitions with per-partition settlement,
// prefetch and ack modes on the wire, the delivery's fields and decoding methods, settlement (coalesced,
// once only, failures typed), and how a subscription ends for each reason.

import { encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { BrokerError } from "../src/errors/broker-error.js";
import { InvalidArgumentError } from "../src/errors/invalid-argument-error.js";
import { SubscriptionEndedError } from "../src/errors/subscription-ended-error.js";
import { OutgoingMessage } from "../src/publish/outgoing-message.js";
import type { Delivery } from "../src/subscribe/delivery.js";
import type { Subscription } from "../src/subscribe/subscription.js";
import type { CloseReason } from "../src/wire/generated/enums.js";
import { brokerAndClient, ENGINE_TIMEOUT_MS, rejectionOf, thrownBy } from "./support/harness.js";

async function take(subscription: Subscription, count: number): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  while (deliveries.length < count) {
    const delivery = await subscription.receive({ signal: AbortSignal.timeout(3000) });
    if (delivery === undefined) throw new Error("the subscription ended early");
    deliveries.push(delivery);
  }
  return deliveries;
}

describe("fan-in over partitions", () => {
  it("opens one manual subscription per partition with the prefetch, merges them, and settles each delivery on its own", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders", { partitions: 3 });
    broker.store("orders", [
      { payload: "p0", partition: 0 },
      { payload: "p1", partition: 1 },
      { payload: "p2", partition: 2 },
      { payload: "p2b", partition: 2 },
    ]);
    const subscription = await client.subscribe("orders", { prefetch: 7 });
    expect(broker.framesOf("Subscribe").map((frame) => frame.message)).toEqual(
      [0, 1, 2].map((partition) => ({ op: "Subscribe", topic: "orders", partition, ackMode: "manual", prefetch: 7 })),
    );
    expect(subscription.partitions).toEqual([0, 1, 2]);
    const deliveries = await take(subscription, 4);
    expect(deliveries.map((delivery) => `${delivery.partition}:${delivery.text()}`).sort()).toEqual(["0:p0", "1:p1", "2:p2", "2:p2b"]);
    await Promise.all(deliveries.map((delivery) => delivery.ack()));
    const session = broker.openSessions[0];
    expect([...(session?.subscriptions.values() ?? [])].map((entry) => entry.held.size)).toEqual([0, 0, 0]);
    expect(broker.messagesIn("orders", "done")).toHaveLength(4);
  }, ENGINE_TIMEOUT_MS);

  it("subscribes to one partition when asked, and refuses a partition the queue does not have", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders", { partitions: 3 });
    const subscription = await client.subscribe("orders", { partition: 2, ackMode: "auto", prefetch: 1 });
    expect(broker.framesOf("Subscribe").map((frame) => frame.message)).toEqual([
      { op: "Subscribe", topic: "orders", partition: 2, ackMode: "auto", prefetch: 1 },
    ]);
    expect(subscription.partitions).toEqual([2]);
    expect(await rejectionOf(client.subscribe("orders", { partition: 3 }))).toMatchObject({ name: "InvalidArgumentError", argument: "partition" });
    expect(await rejectionOf(client.subscribe("orders", { prefetch: 0 }))).toMatchObject({ argument: "prefetch" });
    expect(await rejectionOf(client.subscribe("orders", { prefetch: 70_000 }))).toMatchObject({ argument: "prefetch" });
    expect(await rejectionOf(client.subscribe("orders", { ackMode: "none" as never }))).toMatchObject({ argument: "ackMode" });
  }, ENGINE_TIMEOUT_MS);

  it("subscribes once for every partition when the queue is not in the topology", async () => {
    const { broker, client } = await brokerAndClient();
    broker.intercept("TopologyRequest", () => ({ kind: "error", code: "unknown_op" }));
    broker.declare("orders", 2);
    const subscription = await client.subscribe("orders");
    expect(broker.framesOf("Subscribe")[0]?.message).not.toHaveProperty("partition");
    expect(subscription.partitions).toEqual([0, 1]);
  }, ENGINE_TIMEOUT_MS);

  it("fails with the broker's error and releases the partitions it got when one Subscribe is refused", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders", { partitions: 3 });
    broker.intercept("Subscribe", (frame) => (frame.message.partition === 1 ? { kind: "error", code: "quarantined", details: { partition: "1" } } : undefined));
    const error = await rejectionOf(client.subscribe("orders"));
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: "quarantined" });
    await broker.waitFor(() => broker.framesOf("Unsubscribe").length === 2, 2000, "two unsubscriptions");
    expect(broker.openSessions[0]?.subscriptions.size).toBe(0);
    expect(await rejectionOf(client.subscribe("missing"))).toMatchObject({ name: "BrokerError", code: "not_found" });
  }, ENGINE_TIMEOUT_MS);
});

describe("prefetch and ack modes", () => {
  it("holds at most prefetch unsettled deliveries, receiving more as they are settled", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["a", "b", "c", "d", "e"]);
    const subscription = await client.subscribe("orders", { prefetch: 2 });
    const first = await take(subscription, 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(broker.messagesIn("orders", "held")).toHaveLength(2);
    await first[0]?.ack();
    const [third] = await take(subscription, 1);
    expect(third?.text()).toBe("c");
  }, ENGINE_TIMEOUT_MS);

  it("refuses to settle auto-ack deliveries, which the broker settled itself", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["a"]);
    const subscription = await client.subscribe("orders", { ackMode: "auto" });
    const [delivery] = await take(subscription, 1);
    expect(delivery?.ackMode).toBe("auto");
    for (const settle of [() => delivery?.ack(), () => delivery?.nack(), () => delivery?.retry(), () => delivery?.retryAfter(5), () => delivery?.extendLease()]) {
      expect(thrownBy(settle)).toMatchObject({ name: "InvalidArgumentError", argument: "ackMode", reason: "auto_ack" });
    }
    expect(broker.framesOf("Ack")).toHaveLength(0);
    expect(broker.messagesIn("orders", "done")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);

  it("delivers everything in order to a slow auto-ack consumer with a small prefetch", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    const payloads = Array.from({ length: 40 }, (_, index) => `m${index}`);
    broker.store("orders", payloads);
    const subscription = await client.subscribe("orders", { ackMode: "auto", prefetch: 3 });
    const received: string[] = [];
    for await (const delivery of subscription) {
      received.push(delivery.text());
      if (received.length % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      if (received.length === payloads.length) break;
    }
    expect(received).toEqual(payloads);
  }, ENGINE_TIMEOUT_MS);
});

describe("flow control", () => {
  it("stops reading while an auto-ack consumer is far behind, so the broker's pushes wait", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    const count = 400;
    const payload = "x".repeat(64 * 1024);
    broker.store("orders", Array.from({ length: count }, () => payload));
    const subscription = await client.subscribe("orders", { ackMode: "auto", prefetch: 4 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Unread data fills the socket buffers, and the broker stops pushing until they drain.
    expect(broker.messagesIn("orders", "done").length).toBeLessThan(count);
    let received = 0;
    for await (const delivery of subscription) {
      expect(delivery.payload.byteLength).toBe(payload.length);
      if (++received === count) break;
    }
    expect(broker.messagesIn("orders", "done")).toHaveLength(count);
  }, ENGINE_TIMEOUT_MS);
});

describe("flow control never holds back a reply", () => {
  it("reads on to the reply of a request made while an auto-ack consumer is behind, then pauses again", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    const count = 400;
    const payload = "x".repeat(64 * 1024);
    broker.store("orders", Array.from({ length: count }, () => payload));
    const subscription = await client.subscribe("orders", { ackMode: "auto", prefetch: 4 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pushedBefore = broker.messagesIn("orders", "done").length;
    expect(pushedBefore).toBeLessThan(count);
    // The reply is behind the deliveries waiting in the socket: the client must read on to it.
    expect((await client.declareQueue("other")).created).toBe(true);
    expect((await subscription.receive())?.payload.byteLength).toBe(payload.length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Reading paused again once the reply was in: the broker is still held back.
    expect(broker.messagesIn("orders", "done").length).toBeLessThan(count);
  }, ENGINE_TIMEOUT_MS);

  it("opens an auto-ack subscription over many partitions on a backlog, whose pushes arrive between the answers", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders", { partitions: 8 });
    const payload = "x".repeat(16 * 1024);
    broker.store(
      "orders",
      Array.from({ length: 8 * 50 }, (_, index) => ({ payload, partition: index % 8 })),
    );
    const subscription = await client.subscribe("orders", { ackMode: "auto", prefetch: 1 });
    expect(subscription.partitions).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await subscription.receive())?.payload.byteLength).toBe(payload.length);
  }, ENGINE_TIMEOUT_MS);
});

describe("deliveries", () => {
  it("expose the payload with text, JSON and MessagePack decoding, and the message's metadata", async () => {
    const { client } = await brokerAndClient();
    await client.declareQueue("orders");
    const publisher = client.createPublisher("orders");
    const before = Date.now();
    await publisher.publish(OutgoingMessage.json({ id: 7 }, { headers: { tenant: "acme" } }));
    await publisher.publish(OutgoingMessage.msgpack({ id: 8 }));
    await publisher.publish(OutgoingMessage.text("plain"));
    const subscription = await client.subscribe("orders");
    const [json, msgpack, text] = await take(subscription, 3);
    expect(json?.json()).toEqual({ id: 7 });
    expect(json?.contentType).toBe("application/json");
    expect(json?.headers.get("tenant")).toBe("acme");
    expect(json).toMatchObject({ topic: "orders", group: undefined, partition: 0, offset: 0n, attempt: 1, deliveryId: 1n, ackMode: "manual" });
    expect(json?.publishedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(msgpack?.msgpack()).toEqual({ id: 8 });
    expect(msgpack?.payload).toEqual(encode({ id: 8 }));
    expect(text?.text()).toBe("plain");
    expect(text?.headers.size).toBe(0);
  }, ENGINE_TIMEOUT_MS);
});

describe("settlement", () => {
  it("coalesces the acks issued in one turn into a single Ack frame", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", Array.from({ length: 10 }, (_, index) => `m${index}`));
    const subscription = await client.subscribe("orders");
    const deliveries = await take(subscription, 10);
    await Promise.all(deliveries.map((delivery) => delivery.ack()));
    const acks = broker.framesOf("Ack");
    expect(acks).toHaveLength(1);
    expect(acks[0]?.message.deliveryIds).toEqual(deliveries.map((delivery) => delivery.deliveryId));
    expect(acks[0]?.header.requestId).toBeGreaterThan(0);
  }, ENGINE_TIMEOUT_MS);

  it("sends nack, retry, retryAfter and extendLease with their fields, and the broker acts on them", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["fail", "retry", "later", "slow"]);
    const subscription = await client.subscribe("orders");
    const [fail, retry, later, slow] = await take(subscription, 4);
    await slow?.extendLease(60_000);
    await slow?.extendLease();
    await Promise.all([fail?.nack("cannot parse"), retry?.retry(), later?.retryAfter(300)]);
    expect(broker.framesOf("Nack").flatMap((frame) => frame.message.items)).toEqual([
      { deliveryId: fail?.deliveryId, requeue: false, reason: "cannot parse" },
      { deliveryId: retry?.deliveryId, requeue: true },
      { deliveryId: later?.deliveryId, requeue: true, delayMs: 300n },
    ]);
    expect(broker.framesOf("ExtendLease").map((frame) => frame.message.items)).toEqual([
      [{ deliveryId: slow?.deliveryId, extendMs: 60_000n }],
      [{ deliveryId: slow?.deliveryId }],
    ]);
    expect(broker.deadLettered).toEqual([{ topic: "orders", offset: 0n, reason: "cannot parse" }]);
    const [again] = await take(subscription, 1);
    expect(again).toMatchObject({ offset: 1n, attempt: 2 });
    await slow?.ack();
  }, ENGINE_TIMEOUT_MS);

  it("refuses a second settlement, and settling after a settlement, but allows extending before", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["a"]);
    const subscription = await client.subscribe("orders");
    const [delivery] = await take(subscription, 1);
    if (delivery === undefined) throw new Error("no delivery");
    await delivery.extendLease(1000);
    await delivery.ack();
    expect(delivery.isSettled).toBe(true);
    for (const settle of [() => delivery.ack(), () => delivery.nack("x"), () => delivery.retry(), () => delivery.retryAfter(1), () => delivery.extendLease()]) {
      const error = thrownBy(settle);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ reason: "already_settled" });
      expect((error as Error).message).toContain("already settled with ack()");
    }
    expect(broker.framesOf("Ack")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);

  it("rejects only the settlements the broker reports as failed, with BrokerError stale_delivery", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["a", "b"]);
    const subscription = await client.subscribe("orders");
    const [first, second] = await take(subscription, 2);
    broker.intercept("Ack", () => ({ kind: "reply", message: { op: "SettleOk", failures: [{ deliveryId: second?.deliveryId ?? 0n, code: 10 }] } }), 1);
    const [ok, failed] = await Promise.allSettled([first?.ack(), second?.ack()]);
    expect(ok?.status).toBe("fulfilled");
    const error = (failed as PromiseRejectedResult).reason as BrokerError;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: "stale_delivery", brokerCode: 10, isRetryable: false });
  }, ENGINE_TIMEOUT_MS);

  it("refuses an overlong nack reason and bad durations before sending", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["a"]);
    const subscription = await client.subscribe("orders");
    const [delivery] = await take(subscription, 1);
    expect(thrownBy(() => delivery?.nack("r".repeat(1025)))).toMatchObject({ argument: "reason" });
    expect(thrownBy(() => delivery?.retryAfter(-1))).toMatchObject({ argument: "delayMs" });
    expect(thrownBy(() => delivery?.extendLease(0))).toMatchObject({ argument: "byMs" });
    expect(delivery?.isSettled).toBe(false);
    await delivery?.ack();
    expect(broker.framesOf("Nack")).toHaveLength(0);
  }, ENGINE_TIMEOUT_MS);
});

describe("settlement at the call", () => {
  it("refuses misuse at the call, before any promise exists, and leaves the delivery as it was", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    await client.declareQueue("audit");
    broker.store("orders", ["a", "b"]);
    broker.store("audit", ["c"]);
    const subscription = await client.subscribe("orders");
    const [settled, open] = await take(subscription, 2);
    if (settled === undefined || open === undefined) throw new Error("no delivery");
    const acked = settled.ack();
    expect(settled.isSettled).toBe(true);
    expect(thrownBy(() => settled.retry())).toMatchObject({ name: "InvalidArgumentError", argument: "delivery", reason: "already_settled" });
    expect(thrownBy(() => settled.extendLease())).toMatchObject({ argument: "delivery", reason: "already_settled" });
    await acked;
    expect(thrownBy(() => open.nack("r".repeat(1025)))).toMatchObject({ argument: "reason", reason: "too_long" });
    expect(thrownBy(() => open.retryAfter(-1))).toMatchObject({ argument: "delayMs", reason: "out_of_range" });
    expect(thrownBy(() => open.extendLease(0))).toMatchObject({ argument: "byMs", reason: "out_of_range" });
    expect(thrownBy(() => open.ack({ signal: AbortSignal.abort() }))).toMatchObject({ name: "AbortError" });
    expect(open.isSettled).toBe(false);
    const auto = await client.subscribe("audit", { ackMode: "auto" });
    const [autoAcked] = await take(auto, 1);
    expect(thrownBy(() => autoAcked?.ack())).toMatchObject({ argument: "ackMode", reason: "auto_ack" });
    expect(autoAcked?.isSettled).toBe(true);
    await open.ack();
    expect(broker.framesOf("Ack").flatMap((frame) => frame.message.deliveryIds)).toEqual([settled.deliveryId, open.deliveryId]);
  }, ENGINE_TIMEOUT_MS);

  it("sends a settlement nobody awaits, and its failure is not reported as an unhandled rejection", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["a"]);
    const subscription = await client.subscribe("orders");
    const [delivery] = await take(subscription, 1);
    if (delivery === undefined) throw new Error("no delivery");
    broker.intercept("Ack", () => ({ kind: "reply", message: { op: "SettleOk", failures: [{ deliveryId: delivery.deliveryId, code: 10 }] } }), 1);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      void delivery.ack();
      await broker.waitForFrame("Ack");
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  }, ENGINE_TIMEOUT_MS);
});

describe("how a subscription ends", () => {
  const brokerReasons: CloseReason[] = ["server_shutdown", "deleted", "quarantined", "reconcile_closed", "cursor_taken_over", "internal"];

  it.each(brokerReasons)("throws SubscriptionEndedError %s when the broker ends one partition, releasing the others", async (reason) => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders", { partitions: 2 });
    const subscription = await client.subscribe("orders");
    const iterator = subscription[Symbol.asyncIterator]();
    const waiting = iterator.next();
    broker.closeSubscriptions(reason, "because", (id) => id === 1n);
    const error = await rejectionOf(waiting);
    expect(error).toBeInstanceOf(SubscriptionEndedError);
    expect(error).toMatchObject({ reason, code: reason });
    // Only the transient ends are worth subscribing again for.
    expect((error as SubscriptionEndedError).isRetryable).toBe(reason === "server_shutdown" || reason === "reconcile_closed");
    expect((error as Error).message).toContain("because");
    expect(subscription.endReason).toBe(reason);
    await expect(iterator.next()).rejects.toBe(error);
    const unsubscribe = await broker.waitForFrame("Unsubscribe");
    expect(unsubscribe.message.subscriptionId).toBe(2n);
  }, ENGINE_TIMEOUT_MS);

  it.each([
    ["manual", "deleted", []],
    ["auto", "deleted", ["p0", "p1"]],
    ["auto", "client_closed", []],
  ] as const)("when a %s fan-in ends with %s, hands out the deliveries it already received: %j", async (ackMode, reason, handedOut) => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders", { partitions: 2 });
    broker.store("orders", [
      { payload: "p0", partition: 0 },
      { payload: "p1", partition: 1 },
    ]);
    const subscription = await client.subscribe("orders", { ackMode });
    await broker.waitFor(
      () => (ackMode === "auto" ? broker.messagesIn("orders", "done").length === 2 : broker.messagesIn("orders", "ready").length === 0),
      2000,
      "both messages sent to the client",
    );
    // Let the client read both Deliver frames before the subscription ends.
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (reason === "client_closed") await client.close();
    else broker.closeSubscriptions(reason, "", (id) => id === 1n);
    await broker.waitFor(() => subscription.endReason !== undefined, 2000, "the client to see the end");
    const received: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const delivery of subscription) received.push(delivery.text());
      })(),
    );
    expect(received.sort()).toEqual(handedOut);
    expect(error).toMatchObject({ name: "SubscriptionEndedError", reason });
  }, ENGINE_TIMEOUT_MS);

  it("throws connection_lost when the connection drops, after handing out what an auto-ack subscription received", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["b", "c"]);
    const auto = await client.subscribe("orders", { ackMode: "auto" });
    await broker.waitFor(() => broker.messagesIn("orders", "done").length === 2, 2000, "both auto-acked");
    await new Promise((resolve) => setTimeout(resolve, 20));
    broker.dropConnections();
    const received: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const delivery of auto) received.push(delivery.text());
      })(),
    );
    expect(received).toEqual(["b", "c"]);
    expect(error).toMatchObject({ name: "SubscriptionEndedError", reason: "connection_lost", isRetryable: true });
  }, ENGINE_TIMEOUT_MS);

  it("throws client_closed when the client is closed", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    const subscription = await client.subscribe("orders");
    const waiting = rejectionOf(subscription.receive());
    await client.close();
    expect(await waiting).toMatchObject({ name: "SubscriptionEndedError", reason: "client_closed", isRetryable: false });
    expect(broker.framesOf("Unsubscribe")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);

  it("ends quietly when the caller closes it, sending settlements issued before the Unsubscribe", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["a", "b"]);
    const subscription = await client.subscribe("orders");
    const [delivery] = await take(subscription, 1);
    const acked = delivery?.ack();
    await subscription.close();
    await acked;
    expect(await rejectionOf(subscription.receive())).toMatchObject({ name: "ClientClosedError", code: "client_closed" });
    expect(subscription.endReason).toBeUndefined();
    const ops = broker.frames.map((frame) => frame.message.op).filter((op) => op === "Ack" || op === "Unsubscribe");
    expect(ops).toEqual(["Ack", "Unsubscribe"]);
    await broker.waitFor(() => broker.messagesIn("orders", "ready").length === 1, 2000, "the unsettled message returned");
  }, ENGINE_TIMEOUT_MS);

  it("leaves the subscription open when a for-await loop is left with break", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    broker.store("orders", ["a", "b", "c"]);
    const subscription = await client.subscribe("orders");
    for await (const delivery of subscription) {
      await delivery.ack();
      break;
    }
    expect(broker.framesOf("Unsubscribe")).toHaveLength(0);
    expect((await subscription.receive({ signal: AbortSignal.timeout(3000) }))?.text()).toBe("b");
    await subscription.close();
    expect(broker.framesOf("Unsubscribe")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);

  it("stops one receive on abort and keeps the subscription running", async () => {
    const { broker, client } = await brokerAndClient();
    await client.declareQueue("orders");
    const subscription = await client.subscribe("orders");
    expect(await rejectionOf(subscription.receive({ signal: AbortSignal.timeout(30) }))).toMatchObject({ name: "TimeoutError" });
    broker.store("orders", ["a"]);
    expect((await subscription.receive())?.text()).toBe("a");
  }, ENGINE_TIMEOUT_MS);
});
