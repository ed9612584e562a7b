// The deliveries a client lists as handed to the application when it leaves: the exact
// Unsubscribe and Goodbye frames, which a real broker cannot show. Only a manual-ack delivery
// given to the application (by receive or the iterator) and not settled is listed; one still
// buffered is not; a list is always sent, empty when nothing is held, since an absent list would
// make the broker count a failure for every delivery it returns.

import { describe, expect, it } from "vitest";
import type { SinewClient } from "../src/client/sinew-client.js";
import type { Delivery } from "../src/subscribe/delivery.js";
import type { Subscription } from "../src/subscribe/subscription.js";
import { ErrorCode } from "../src/wire/generated/errors.js";
import type { FakeBroker, FakeBrokerOptions } from "./support/fake-broker.js";
import { answerDeclares, answerSettlements, answerSubscribes, brokerAndClient, ENGINE_TIMEOUT_MS, rejectionOf } from "./support/harness.js";
import { deliver, errorReply, settleOk, topology, type DeliverySpec } from "./support/scripted-replies.js";

/** A consumer of `orders` (one partition unless given) with the standing answers of the broker. */
async function consumer(partitions = 1, brokerOptions?: FakeBrokerOptions): Promise<{ broker: FakeBroker; client: SinewClient }> {
  const started = await brokerAndClient({}, brokerOptions);
  answerDeclares(started.broker);
  answerSubscribes(started.broker);
  answerSettlements(started.broker);
  await started.client.declareQueue("orders", { partitions });
  return started;
}

function push(broker: FakeBroker, subscriptionId: bigint, messages: readonly DeliverySpec[]): void {
  broker.openSessions[0]?.send(deliver(subscriptionId, messages));
}

function receive(subscription: Subscription): Promise<Delivery> {
  return subscription.receive({ signal: AbortSignal.timeout(3000) });
}

/** The handed_out list of every Unsubscribe, by subscription id. */
function unsubscribed(broker: FakeBroker): Map<bigint, bigint[] | undefined> {
  return new Map(broker.framesOf("Unsubscribe").map((frame) => [frame.message.subscriptionId, frame.message.handedOut]));
}

const messages = (...ids: number[]): DeliverySpec[] => ids.map((id) => ({ deliveryId: BigInt(id), payload: `m${id}` }));

describe("Unsubscribe lists the deliveries handed to the application", () => {
  it("lists a received delivery and not the prefetched ones still buffered", async () => {
    const { broker, client } = await consumer();
    const subscription = await client.subscribe("orders", { prefetch: 3 });
    push(broker, 1n, messages(1, 2, 3));
    expect((await receive(subscription)).deliveryId).toBe(1n);
    expect(subscription.buffered).toBe(2);
    await subscription.close();
    expect(unsubscribed(broker)).toEqual(new Map([[1n, [1n]]]));
  }, ENGINE_TIMEOUT_MS);

  it("lists a delivery taken by the iterator", async () => {
    const { broker, client } = await consumer();
    const subscription = await client.subscribe("orders", { prefetch: 2 });
    push(broker, 1n, messages(4, 5));
    for await (const delivery of subscription) {
      expect(delivery.deliveryId).toBe(4n);
      break;
    }
    await subscription.close();
    expect(unsubscribed(broker)).toEqual(new Map([[1n, [4n]]]));
  }, ENGINE_TIMEOUT_MS);

  it("sends an empty list, not none, when the application holds nothing", async () => {
    const { broker, client } = await consumer();
    const subscription = await client.subscribe("orders", { prefetch: 2 });
    push(broker, 1n, messages(1));
    await broker.waitFor(() => subscription.buffered === 1, 2000, "the delivery to be buffered");
    await subscription.close();
    const frame = await broker.waitForFrame("Unsubscribe");
    expect(frame.message.handedOut).toEqual([]);
  }, ENGINE_TIMEOUT_MS);

  it("forgets a delivery once the broker settled it, or answered that it no longer holds it", async () => {
    const { broker, client } = await consumer();
    broker.answer("Nack", () => settleOk([{ deliveryId: 2n, code: ErrorCode.stale_delivery }]), 1);
    const subscription = await client.subscribe("orders", { prefetch: 4 });
    push(broker, 1n, messages(1, 2, 3, 4));
    const acked = await receive(subscription);
    const stale = await receive(subscription);
    const delayed = await receive(subscription);
    const held = await receive(subscription);
    await acked.ack();
    expect(await rejectionOf(stale.retry("busy"))).toMatchObject({ name: "BrokerError", code: "stale_delivery" });
    await delayed.retryAfter(1000);
    expect(held.deliveryId).toBe(4n);
    await subscription.close();
    expect(unsubscribed(broker)).toEqual(new Map([[1n, [4n]]]));
  }, ENGINE_TIMEOUT_MS);

  it("still lists a delivery whose settlement the broker refused, since the broker still holds it", async () => {
    const { broker, client } = await consumer();
    broker.answer("Ack", () => errorReply("unavailable"), 1);
    const subscription = await client.subscribe("orders");
    push(broker, 1n, messages(9));
    const delivery = await receive(subscription);
    expect(await rejectionOf(delivery.ack())).toMatchObject({ code: "unavailable" });
    await subscription.close();
    expect(unsubscribed(broker)).toEqual(new Map([[1n, [9n]]]));
  }, ENGINE_TIMEOUT_MS);

  it("lists in each partition's Unsubscribe the deliveries of that partition", async () => {
    const { broker, client } = await consumer(2);
    const subscription = await client.subscribe("orders", { prefetch: 2 });
    const idOf = (partition: number): bigint => BigInt(broker.framesOf("Subscribe").findIndex((frame) => frame.message.partition === partition) + 1);
    push(broker, idOf(0), [{ deliveryId: 1n, partition: 0, payload: "a" }]);
    await receive(subscription);
    push(broker, idOf(1), [
      { deliveryId: 2n, partition: 1, payload: "b" },
      { deliveryId: 3n, partition: 1, payload: "c" },
    ]);
    await receive(subscription);
    await subscription.close();
    expect(unsubscribed(broker)).toEqual(
      new Map([
        [idOf(0), [1n]],
        [idOf(1), [2n]],
      ]),
    );
  }, ENGINE_TIMEOUT_MS);

  it("cuts the list at the broker's maxListItems, oldest first", async () => {
    const { broker, client } = await consumer(1, { helloOk: { limits: { maxListItems: 2 } } });
    const subscription = await client.subscribe("orders", { prefetch: 3 });
    push(broker, 1n, messages(1, 2, 3));
    for (let taken = 0; taken < 3; taken++) await receive(subscription);
    await subscription.close();
    expect(unsubscribed(broker)).toEqual(new Map([[1n, [1n, 2n]]]));
  }, ENGINE_TIMEOUT_MS);

  it("lists nothing for an auto-ack subscription, whose deliveries the broker settled when it sent them", async () => {
    const { broker, client } = await consumer();
    const subscription = await client.subscribe("orders", { ackMode: "auto" });
    push(broker, 1n, messages(1, 2));
    await receive(subscription);
    await receive(subscription);
    await subscription.close();
    expect(unsubscribed(broker)).toEqual(new Map([[1n, []]]));
  }, ENGINE_TIMEOUT_MS);

  it("lists what the application holds when the broker ends one partition and the others are released", async () => {
    const { broker, client } = await consumer(2);
    const subscription = await client.subscribe("orders");
    push(broker, 2n, [{ deliveryId: 6n, partition: 1, payload: "held" }]);
    await receive(subscription);
    broker.openSessions[0]?.send({ op: "SubscriptionClosed", subscriptionId: 1n, reason: "deleted", message: "" });
    await broker.waitForFrame("Unsubscribe");
    expect(unsubscribed(broker)).toEqual(new Map([[2n, [6n]]]));
  }, ENGINE_TIMEOUT_MS);
});

describe("closing the client", () => {
  it("lists the held deliveries in the Unsubscribe that precedes the Goodbye, and the Goodbye then lists none", async () => {
    const { broker, client } = await consumer();
    const subscription = await client.subscribe("orders", { prefetch: 2 });
    push(broker, 1n, messages(1, 2));
    await receive(subscription);
    await client.close();
    const sent = broker.frames.filter((frame) => frame.message.op === "Unsubscribe" || frame.message.op === "Goodbye").map((frame) => frame.message);
    expect(sent).toEqual([
      { op: "Unsubscribe", subscriptionId: 1n, handedOut: [1n] },
      { op: "Goodbye", handedOut: [] },
    ]);
  }, ENGINE_TIMEOUT_MS);

  it("says Goodbye with an empty list when nothing was consumed", async () => {
    const { broker, client } = await brokerAndClient();
    await client.close();
    expect(broker.framesOf("Goodbye").map((frame) => frame.message)).toEqual([{ op: "Goodbye", handedOut: [] }]);
  }, ENGINE_TIMEOUT_MS);

  it("never lists a delivery of a connection that was lost on the connection that replaced it", async () => {
    const { broker, client } = await consumer();
    const before = await client.subscribe("orders");
    push(broker, 1n, messages(7));
    await receive(before);
    broker.dropConnections();
    await before.completion;
    expect(before.endReason).toBe("connection_lost");
    broker.answer("TopologyRequest", () => topology([{ topic: "orders", partitions: 1 }]));
    const after = await client.subscribe("orders");
    expect(broker.openSessions).toHaveLength(1);
    push(broker, 2n, messages(1));
    await receive(after);
    await client.close();
    const second = broker.frames.filter((frame) => frame.session.id === 2 && (frame.message.op === "Unsubscribe" || frame.message.op === "Goodbye"));
    expect(second.map((frame) => frame.message)).toEqual([
      { op: "Unsubscribe", subscriptionId: 2n, handedOut: [1n] },
      { op: "Goodbye", handedOut: [] },
    ]);
  }, ENGINE_TIMEOUT_MS);
});
