// Consuming against the fake broker, for what the client sends and what a real broker does not
// say on cue: Subscribe frames of a fan-in over partitions, a Subscribe refused for one partition,
// settlement frames (coalesced, with their fields, failures typed), and a subscription ended by
// the broker for each reason. Consuming from real queues is broker/consuming.test.ts,
// broker/flow-control.test.ts and broker/settle.test.ts.

import { describe, expect, it } from "vitest";
import { BrokerError } from "../src/errors/broker-error.js";
import { SubscriptionEndedError } from "../src/errors/subscription-ended-error.js";
import type { SinewClient } from "../src/client/sinew-client.js";
import type { Delivery } from "../src/subscribe/delivery.js";
import type { Subscription } from "../src/subscribe/subscription.js";
import type { CloseReason } from "../src/wire/generated/enums.js";
import type { FakeBroker } from "./support/fake-broker.js";
import {
  answerDeclares,
  answerSettlements,
  answerSubscribes,
  brokerAndClient,
  ENGINE_TIMEOUT_MS,
  rejectionOf,
  thrownBy,
} from "./support/harness.js";
import { deliver, errorReply, settleOk, topology, type DeliverySpec } from "./support/scripted-replies.js";

async function take(subscription: Subscription, count: number): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  while (deliveries.length < count) {
    const delivery = await subscription.receive({ signal: AbortSignal.timeout(3000) });
    if (delivery === undefined) throw new Error("the subscription ended early");
    deliveries.push(delivery);
  }
  return deliveries;
}

/** The id the broker granted the Subscribe for `partition` (answerSubscribes numbers them in arrival order). */
function subscriptionFor(broker: FakeBroker, partition: number): bigint {
  const index = broker.framesOf("Subscribe").findIndex((frame) => frame.message.partition === partition);
  if (index < 0) throw new Error(`no Subscribe for partition ${partition}`);
  return BigInt(index + 1);
}

/** Pushes a Deliver of `messages` on `subscriptionId` to the client. */
function push(broker: FakeBroker, subscriptionId: bigint, messages: readonly DeliverySpec[]): void {
  broker.openSessions[0]?.send(deliver(subscriptionId, messages));
}

/** A client with the standing answers of a consumer: declarations, subscriptions, settlements. */
async function consumer(partitions: readonly number[] = [0]): Promise<{ broker: FakeBroker; client: SinewClient }> {
  const started = await brokerAndClient();
  answerDeclares(started.broker);
  answerSubscribes(started.broker, partitions);
  answerSettlements(started.broker);
  return started;
}

describe("fan-in over partitions", () => {
  it("opens one manual subscription per partition with the prefetch, merges them, and settles each delivery on its own", async () => {
    const { broker, client } = await consumer();
    await client.declareQueue("orders", { partitions: 3 });
    const subscription = await client.subscribe("orders", { prefetch: 7 });
    expect(broker.framesOf("Subscribe").map((frame) => frame.message)).toEqual(
      [0, 1, 2].map((partition) => ({ op: "Subscribe", topic: "orders", partition, ackMode: "manual", prefetch: 7 })),
    );
    expect(subscription.partitions).toEqual([0, 1, 2]);
    push(broker, subscriptionFor(broker, 0), [{ deliveryId: 1n, partition: 0, payload: "p0" }]);
    push(broker, subscriptionFor(broker, 1), [{ deliveryId: 2n, partition: 1, payload: "p1" }]);
    push(broker, subscriptionFor(broker, 2), [
      { deliveryId: 3n, partition: 2, payload: "p2" },
      { deliveryId: 4n, partition: 2, offset: 1n, payload: "p2b" },
    ]);
    const deliveries = await take(subscription, 4);
    expect(deliveries.map((delivery) => `${delivery.partition}:${delivery.text()}`).sort()).toEqual(["0:p0", "1:p1", "2:p2", "2:p2b"]);
    await Promise.all(deliveries.map((delivery) => delivery.ack()));
    // Every delivery was acknowledged, each by its own id, whichever partition it came from.
    expect(broker.framesOf("Ack").flatMap((frame) => frame.message.deliveryIds).sort()).toEqual([1n, 2n, 3n, 4n]);
  }, ENGINE_TIMEOUT_MS);

  it("subscribes to one partition when asked, and refuses a partition the queue does not have", async () => {
    const { broker, client } = await consumer();
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
    const { broker, client } = await consumer([0, 1]);
    broker.answer("TopologyRequest", () => errorReply("unknown_op"));
    const subscription = await client.subscribe("orders");
    expect(broker.framesOf("Subscribe")[0]?.message).not.toHaveProperty("partition");
    expect(subscription.partitions).toEqual([0, 1]);
  }, ENGINE_TIMEOUT_MS);

  it("fails with the broker's error and releases the partitions it got when one Subscribe is refused", async () => {
    const { broker, client } = await consumer();
    await client.declareQueue("orders", { partitions: 3 });
    broker.answer("Subscribe", (frame) => (frame.message.partition === 1 ? errorReply("quarantined", { details: { partition: "1" } }) : undefined));
    const error = await rejectionOf(client.subscribe("orders"));
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: "quarantined" });
    await broker.waitFor(() => broker.framesOf("Unsubscribe").length === 2, 2000, "two unsubscriptions");
    // The two partitions granted (subscriptions 1 and 2) are released.
    expect(broker.framesOf("Unsubscribe").map((frame) => frame.message.subscriptionId).sort()).toEqual([1n, 2n]);
    broker.answer("TopologyRequest", () => topology([]));
    broker.answer("Subscribe", (frame) => (frame.message.topic === "missing" ? errorReply("not_found", { details: { topic: "missing" } }) : undefined));
    expect(await rejectionOf(client.subscribe("missing"))).toMatchObject({ name: "BrokerError", code: "not_found" });
  }, ENGINE_TIMEOUT_MS);
});

describe("settlement", () => {
  it("coalesces the acks issued in one turn into a single Ack frame", async () => {
    const { broker, client } = await consumer();
    await client.declareQueue("orders");
    const subscription = await client.subscribe("orders");
    push(broker, 1n, Array.from({ length: 10 }, (_, index) => ({ deliveryId: BigInt(index + 1), offset: BigInt(index), payload: `m${index}` })));
    const deliveries = await take(subscription, 10);
    await Promise.all(deliveries.map((delivery) => delivery.ack()));
    const acks = broker.framesOf("Ack");
    expect(acks).toHaveLength(1);
    expect(acks[0]?.message.deliveryIds).toEqual(deliveries.map((delivery) => delivery.deliveryId));
    expect(acks[0]?.header.requestId).toBeGreaterThan(0);
  }, ENGINE_TIMEOUT_MS);

  it("sends fail, retry, retryAfter and extendLease with their fields", async () => {
    const { broker, client } = await consumer();
    await client.declareQueue("orders");
    const subscription = await client.subscribe("orders");
    push(broker, 1n, ["fail", "retry", "later", "slow"].map((payload, index) => ({ deliveryId: BigInt(index + 1), offset: BigInt(index), payload })));
    const [fail, retry, later, slow] = await take(subscription, 4);
    await slow?.extendLease(60_000);
    await slow?.extendLease();
    await Promise.all([fail?.fail("cannot parse"), retry?.retry("busy"), later?.retryAfter(300, "rate limited")]);
    expect(broker.framesOf("Nack").flatMap((frame) => frame.message.items)).toEqual([
      { deliveryId: fail?.deliveryId, requeue: false, reason: "cannot parse" },
      { deliveryId: retry?.deliveryId, requeue: true, reason: "busy" },
      { deliveryId: later?.deliveryId, requeue: true, delayMs: 300n, reason: "rate limited" },
    ]);
    expect(broker.framesOf("ExtendLease").map((frame) => frame.message.items)).toEqual([
      [{ deliveryId: slow?.deliveryId, extendMs: 60_000n }],
      [{ deliveryId: slow?.deliveryId }],
    ]);
    // What the broker then does with them (a dead letter, a redelivery) is broker/settle.test.ts.
    await slow?.ack();
  }, ENGINE_TIMEOUT_MS);

  it("rejects only the settlements the broker reports as failed, with BrokerError stale_delivery", async () => {
    const { broker, client } = await consumer();
    await client.declareQueue("orders");
    const subscription = await client.subscribe("orders");
    push(broker, 1n, [
      { deliveryId: 1n, payload: "a" },
      { deliveryId: 2n, offset: 1n, payload: "b" },
    ]);
    const [first, second] = await take(subscription, 2);
    broker.answer("Ack", () => settleOk([{ deliveryId: second?.deliveryId ?? 0n, code: 10 }]), 1);
    const [ok, failed] = await Promise.allSettled([first?.ack(), second?.ack()]);
    expect(ok?.status).toBe("fulfilled");
    const error = (failed as PromiseRejectedResult).reason as BrokerError;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: "stale_delivery", brokerCode: 10, isRetryable: false });
  }, ENGINE_TIMEOUT_MS);

});

describe("settlement at the call", () => {
  it("refuses misuse at the call, before any promise exists, and leaves the delivery as it was", async () => {
    const { broker, client } = await consumer();
    await client.declareQueue("orders");
    await client.declareQueue("audit");
    const subscription = await client.subscribe("orders");
    push(broker, 1n, [
      { deliveryId: 1n, payload: "a" },
      { deliveryId: 2n, offset: 1n, payload: "b" },
    ]);
    const [settled, open] = await take(subscription, 2);
    if (settled === undefined || open === undefined) throw new Error("no delivery");
    const acked = settled.ack();
    expect(settled.isSettled).toBe(true);
    expect(thrownBy(() => settled.retry())).toMatchObject({ name: "InvalidArgumentError", argument: "delivery", reason: "already_settled" });
    expect(thrownBy(() => settled.extendLease())).toMatchObject({ argument: "delivery", reason: "already_settled" });
    await acked;
    expect(thrownBy(() => open.fail("r".repeat(1025)))).toMatchObject({ argument: "reason", reason: "too_long" });
    expect(thrownBy(() => open.retry("r".repeat(1025)))).toMatchObject({ argument: "reason", reason: "too_long" });
    expect(thrownBy(() => open.retryAfter(10, "r".repeat(1025)))).toMatchObject({ argument: "reason", reason: "too_long" });
    expect(thrownBy(() => open.retryAfter(-1))).toMatchObject({ argument: "delayMs", reason: "out_of_range" });
    expect(thrownBy(() => open.extendLease(0))).toMatchObject({ argument: "byMs", reason: "out_of_range" });
    expect(thrownBy(() => open.ack({ signal: AbortSignal.abort() }))).toMatchObject({ name: "AbortError" });
    expect(open.isSettled).toBe(false);
    const auto = await client.subscribe("audit", { ackMode: "auto" });
    push(broker, 2n, [{ deliveryId: 3n, payload: "c" }]);
    const [autoAcked] = await take(auto, 1);
    expect(thrownBy(() => autoAcked?.ack())).toMatchObject({ argument: "ackMode", reason: "auto_ack" });
    expect(autoAcked?.isSettled).toBe(true);
    await open.ack();
    expect(broker.framesOf("Ack").flatMap((frame) => frame.message.deliveryIds)).toEqual([settled.deliveryId, open.deliveryId]);
  }, ENGINE_TIMEOUT_MS);

  it("sends a settlement nobody awaits, and its failure is not reported as an unhandled rejection", async () => {
    const { broker, client } = await consumer();
    await client.declareQueue("orders");
    const subscription = await client.subscribe("orders");
    push(broker, 1n, [{ deliveryId: 1n, payload: "a" }]);
    const [delivery] = await take(subscription, 1);
    if (delivery === undefined) throw new Error("no delivery");
    broker.answer("Ack", () => settleOk([{ deliveryId: delivery.deliveryId, code: 10 }]), 1);
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
    const { broker, client } = await consumer();
    await client.declareQueue("orders", { partitions: 2 });
    const subscription = await client.subscribe("orders");
    const iterator = subscription[Symbol.asyncIterator]();
    const waiting = iterator.next();
    broker.pushToAll({ op: "SubscriptionClosed", subscriptionId: 1n, reason, message: "because" });
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
    const { broker, client } = await consumer();
    await client.declareQueue("orders", { partitions: 2 });
    const subscription = await client.subscribe("orders", { ackMode });
    push(broker, subscriptionFor(broker, 0), [{ deliveryId: 1n, partition: 0, payload: "p0" }]);
    push(broker, subscriptionFor(broker, 1), [{ deliveryId: 2n, partition: 1, payload: "p1" }]);
    // Let the client read both Deliver frames before the subscription ends.
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (reason === "client_closed") await client.close();
    else broker.pushToAll({ op: "SubscriptionClosed", subscriptionId: 1n, reason, message: "" });
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

  it("throws client_closed when the client is closed", async () => {
    const { broker, client } = await consumer();
    await client.declareQueue("orders");
    const subscription = await client.subscribe("orders");
    const waiting = rejectionOf(subscription.receive());
    await client.close();
    expect(await waiting).toMatchObject({ name: "SubscriptionEndedError", reason: "client_closed", isRetryable: false });
    expect(broker.framesOf("Unsubscribe")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);

});
