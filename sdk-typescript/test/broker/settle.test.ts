// Consuming from the real broker and settling: manual and auto acknowledgement, the prefetch
// bound, retries and delayed retries, failures and exhausted retries into dead-letter queues, leases
// that expire or are extended, deliveries returned when a consumer leaves, and settlements
// coalesced into one frame per kind.

import { describe, expect, it } from "vitest";
import type { SinewClient } from "../../src/client/sinew-client.js";
import { BrokerError } from "../../src/errors/broker-error.js";
import { InvalidArgumentError } from "../../src/errors/invalid-argument-error.js";
import { OutgoingMessage } from "../../src/publish/outgoing-message.js";
import { DeadLetterPolicy } from "../../src/queue/dead-letter-policy.js";
import type { Subscription } from "../../src/subscribe/subscription.js";
import {
  BROKER_TEST_TIMEOUT_MS,
  connect,
  elapsedSince,
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

/** Subscribes to a dead-letter queue the broker creates on the first dead letter. */
function subscribeWhenCreated(client: SinewClient, topic: string, group?: string): Promise<Subscription> {
  return eventually(
    async () => {
      const topology = await client.topology();
      if (!topology.channels.some((channel) => channel.topic === topic && channel.group === group)) return undefined;
      return client.subscribe(topic, group === undefined ? {} : { group });
    },
    10_000,
    `the creation of the dead-letter queue ${topic}`,
  );
}

describe("acknowledgement", () => {
  it("removes a message acknowledged by hand, and refuses a second settlement", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("manual");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publish("once");
    const subscription = await client.subscribe(topic);
    const delivery = await receiveWithin(subscription);
    expect(delivery).toMatchObject({ ackMode: "manual", attempt: 1, partition: 0, offset: 0n, isSettled: false });
    await delivery.ack();
    expect(delivery.isSettled).toBe(true);
    const twice = thrownBy(() => delivery.ack());
    expect(twice).toBeInstanceOf(InvalidArgumentError);
    expect(twice).toMatchObject({ argument: "delivery", reason: "already_settled" });
    expect(thrownBy(() => delivery.retry())).toMatchObject({ reason: "already_settled" });
    await subscription.close();
    await expectNoDelivery(await client.subscribe(topic), 300);
  }, BROKER_TEST_TIMEOUT_MS);

  it("settles auto-ack deliveries as the broker sends them, and refuses settling them by hand", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("auto");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publishBatch(["a", "b", "c"]);
    const subscription = await client.subscribe(topic, { ackMode: "auto" });
    const deliveries = await receiveMany(subscription, 3);
    expect(deliveries.map((delivery) => delivery.text())).toEqual(["a", "b", "c"]);
    const refused = thrownBy(() => deliveries[0]?.ack());
    expect(refused).toMatchObject({ name: "InvalidArgumentError", argument: "ackMode", reason: "auto_ack" });
    expect(thrownBy(() => deliveries[1]?.extendLease())).toMatchObject({ reason: "auto_ack" });
    await subscription.close();
    await expectNoDelivery(await client.subscribe(topic), 300);
  }, BROKER_TEST_TIMEOUT_MS);

  it("never holds more unsettled deliveries than the prefetch", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("prefetch");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publishBatch(Array.from({ length: 10 }, (_, index) => `m${index}`));
    const subscription = await client.subscribe(topic, { prefetch: 3 });
    const held = await receiveMany(subscription, 3);
    expect(held.map((delivery) => delivery.text())).toEqual(["m0", "m1", "m2"]);
    await expectNoDelivery(subscription, 300);
    await held[0]?.ack();
    expect((await receiveWithin(subscription)).text()).toBe("m3");
    await expectNoDelivery(subscription, 200);
    await Promise.all([held[1]?.ack(), held[2]?.retry()]);
    const next = await receiveMany(subscription, 2);
    expect(next.map((delivery) => `${delivery.text()}#${delivery.attempt}`).sort()).toEqual(["m2#2", "m4#1"]);
  }, BROKER_TEST_TIMEOUT_MS);

  it("lets consumers of one queue compete: each message goes to one of them", async () => {
    const first = await connect(broker());
    const second = await connect(broker());
    const topic = uniqueTopic("compete");
    await first.declareQueue(topic);
    const a = await first.subscribe(topic, { prefetch: 1 });
    const b = await second.subscribe(topic, { prefetch: 1 });
    await first.createPublisher(topic).publishBatch(["x", "y"]);
    const [fromA, fromB] = await Promise.all([receiveWithin(a), receiveWithin(b)]);
    expect([fromA.text(), fromB.text()].sort()).toEqual(["x", "y"]);
    await Promise.all([fromA.ack(), fromB.ack()]);
    await expectNoDelivery(a, 200);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("retries", () => {
  it("redelivers a retried message at once with the attempt number increased, marking it settled at the call", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("retry");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publish("again");
    const subscription = await client.subscribe(topic);
    const first = await receiveWithin(subscription);
    const retried = first.retry();
    expect(first.isSettled).toBe(true);
    await retried;
    const second = await receiveWithin(subscription);
    expect(second).toMatchObject({ attempt: 2, offset: first.offset, partition: first.partition });
    expect(second.deliveryId).not.toBe(first.deliveryId);
    expect(second.text()).toBe("again");
  }, BROKER_TEST_TIMEOUT_MS);

  it("does not redeliver a message retried with a delay before the delay has passed", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("retry-after");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publish("later");
    const subscription = await client.subscribe(topic);
    const first = await receiveWithin(subscription);
    const retriedAt = performance.now();
    await first.retryAfter(700);
    const second = await receiveWithin(subscription, 10_000);
    expect(elapsedSince(retriedAt)).toBeGreaterThanOrEqual(700);
    expect(second).toMatchObject({ attempt: 2, offset: first.offset });
  }, BROKER_TEST_TIMEOUT_MS);

  it("dead-letters a failed message with reason terminal_nack, its error text and its origin", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("fail");
    const dead = `${topic}.dead`;
    await client.declareQueue(topic, { partitions: 2, deadLetter: DeadLetterPolicy.toQueue(dead) });
    const receipt = await client.createPublisher(topic).publish(OutgoingMessage.text("payload", { headers: { tenant: "acme" } }));
    const delivery = await receiveWithin(await client.subscribe(topic));
    await delivery.fail("cannot parse: unexpected token ✗");
    // The dead-letter queue did not exist: the broker creates it on the first dead letter.
    const copy = await receiveWithin(await subscribeWhenCreated(client, dead), 5000, "the dead-lettered copy");
    expect(copy.text()).toBe("payload");
    expect(copy.contentType).toBe("text/plain; charset=utf-8");
    expect(copy.headers.get("tenant")).toBe("acme");
    expect(copy.headers.get("sinew.dlq.reason")).toBe("terminal_nack");
    expect(copy.headers.get("sinew.dlq.error")).toBe("cannot parse: unexpected token ✗");
    expect(copy.headers.get("sinew.dlq.source_topic")).toBe(topic);
    expect(copy.headers.get("sinew.dlq.source_partition")).toBe(String(receipt.partition));
    expect(copy.headers.get("sinew.dlq.source_offset")).toBe(String(receipt.offset));
    expect(copy.headers.get("sinew.dlq.attempts")).toBe("1");
    const deadLetteredAt = Number(copy.headers.get("sinew.dlq.dead_lettered_at_ms"));
    expect(deadLetteredAt).toBeGreaterThanOrEqual(delivery.publishedAt.getTime());
    // The original is gone.
    await expectNoDelivery(await client.subscribe(topic), 200);
  }, BROKER_TEST_TIMEOUT_MS);

  it("dead-letters a message after max retries with reason retries_exhausted and the last retry reason", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("exhausted");
    const dead = `${topic}.dead`;
    await client.declareQueue(dead, { group: "ops" });
    await client.declareQueue(topic, { group: "g", maxRetries: 1, deadLetter: DeadLetterPolicy.toQueue(dead, "ops") });
    await client.createPublisher(topic, { group: "g" }).publish("doomed");
    const subscription = await client.subscribe(topic, { group: "g" });
    const first = await receiveWithin(subscription);
    await first.retryAfter(1, "upstream timed out");
    const second = await receiveWithin(subscription);
    expect(second.attempt).toBe(2);
    // max_retries + 1 deliveries made: this retry dead-letters it instead.
    await second.retry("upstream refused");
    await expectNoDelivery(subscription, 300);
    const copy = await receiveWithin(await client.subscribe(dead, { group: "ops" }));
    expect(copy.text()).toBe("doomed");
    expect(copy.headers.get("sinew.dlq.reason")).toBe("retries_exhausted");
    expect(copy.headers.get("sinew.dlq.attempts")).toBe("2");
    expect(copy.headers.get("sinew.dlq.error")).toBe("upstream refused");
    expect(copy.headers.get("sinew.dlq.source_topic")).toBe(topic);
    expect(copy.headers.get("sinew.dlq.source_group")).toBe("g");
  }, BROKER_TEST_TIMEOUT_MS);

  it("sends dead letters of a global-policy queue to the broker's global target once an operator sets one", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("global-dlq");
    const target = uniqueTopic("global-target");
    await client.declareQueue(target);
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    await publisher.publish("dropped");
    const subscription = await client.subscribe(topic);
    // No global target yet: the dead letter is discarded.
    await (await receiveWithin(subscription)).fail("no target");
    await broker().setGlobalDeadLetterTarget(target);
    await publisher.publish("kept");
    await (await receiveWithin(subscription)).fail("with target");
    const copy = await receiveWithin(await client.subscribe(target));
    expect(copy.text()).toBe("kept");
    expect(copy.headers.get("sinew.dlq.error")).toBe("with target");
    await expectNoDelivery(await client.subscribe(target), 200);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("leases", () => {
  it("redelivers a message whose lease ran out, and the old delivery is then stale", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("lease");
    await client.declareQueue(topic, { leaseMs: 300 });
    await client.createPublisher(topic).publish("slow");
    const subscription = await client.subscribe(topic, { prefetch: 5 });
    const first = await receiveWithin(subscription);
    const second = await receiveWithin(subscription, 5000, "the redelivery after the lease ran out");
    expect(second).toMatchObject({ attempt: 2, offset: first.offset });
    const stale = await rejectionOf(first.ack());
    expect(stale).toBeInstanceOf(BrokerError);
    expect(stale).toMatchObject({ code: "stale_delivery", brokerCode: 10, isRetryable: false });
    await second.ack();
  }, BROKER_TEST_TIMEOUT_MS);

  it("dead-letters a message whose last allowed lease runs out, with reason retries_exhausted", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("lease-exhausted");
    const dead = `${topic}.dead`;
    await client.declareQueue(dead);
    await client.declareQueue(topic, { leaseMs: 200, maxRetries: 0, deadLetter: DeadLetterPolicy.toQueue(dead) });
    await client.createPublisher(topic).publish("abandoned");
    const subscription = await client.subscribe(topic);
    await receiveWithin(subscription);
    const copy = await receiveWithin(await client.subscribe(dead), 5000, "the dead-lettered copy");
    expect(copy.headers.get("sinew.dlq.reason")).toBe("retries_exhausted");
    expect(copy.headers.get("sinew.dlq.attempts")).toBe("1");
    await expectNoDelivery(subscription, 200);
  }, BROKER_TEST_TIMEOUT_MS);

  it("keeps a delivery whose lease is extended, by a given time or by the queue's lease", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("extend");
    await client.declareQueue(topic, { leaseMs: 600 });
    await client.createPublisher(topic).publishBatch(["by time", "by lease"]);
    const subscription = await client.subscribe(topic, { prefetch: 5 });
    const [byTime, byLease] = await receiveMany(subscription, 2);
    await byTime?.extendLease(10_000);
    // Extending by the queue's lease, again and again, keeps the other one held as well.
    for (let round = 0; round < 7; round++) {
      await byLease?.extendLease();
      await new Promise((resolveLater) => setTimeout(resolveLater, 200));
    }
    // More than twice the queue's lease has passed: without the extensions both were redelivered.
    await expectNoDelivery(subscription, 100);
    expect(byTime?.isSettled).toBe(false);
    await Promise.all([byTime?.ack(), byLease?.ack()]);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("returning deliveries", () => {
  it("returns a closed subscription's unsettled messages to another consumer, with a higher attempt", async () => {
    const leaving = await connect(broker());
    const staying = await connect(broker());
    const topic = uniqueTopic("unsubscribe");
    await leaving.declareQueue(topic);
    await leaving.createPublisher(topic).publishBatch(["one", "two", "three"]);
    const first = await leaving.subscribe(topic, { prefetch: 10 });
    const held = await receiveMany(first, 3);
    await held[0]?.ack();
    const other = await staying.subscribe(topic);
    await expectNoDelivery(other, 200);
    await first.close();
    const returned = await receiveMany(other, 2);
    expect(returned.map((delivery) => `${delivery.text()}#${delivery.attempt}`)).toEqual(["two#2", "three#2"]);
    // Settling a returned delivery through the closed subscription fails: it is stale.
    expect(await rejectionOf(held[1]?.ack() ?? Promise.resolve())).toMatchObject({ code: "stale_delivery" });
  }, BROKER_TEST_TIMEOUT_MS);

  it("returns a closed client's unsettled messages to another consumer", async () => {
    const leaving = await connect(broker());
    const staying = await connect(broker());
    const topic = uniqueTopic("goodbye");
    await leaving.declareQueue(topic);
    await leaving.createPublisher(topic).publish("held");
    await receiveWithin(await leaving.subscribe(topic));
    const other = await staying.subscribe(topic);
    await leaving.close();
    const returned = await receiveWithin(other);
    expect(returned).toMatchObject({ attempt: 2 });
    expect(returned.text()).toBe("held");
  }, BROKER_TEST_TIMEOUT_MS);

  it("keeps the subscription open when a loop is left early, and ends iteration quietly when the caller closes it", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("iterate");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publishBatch(["a", "b", "c", "d"]);
    const subscription = await client.subscribe(topic);
    const seen: string[] = [];
    for await (const delivery of subscription) {
      seen.push(delivery.text());
      await delivery.ack();
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(["a", "b"]);
    for await (const delivery of subscription) {
      seen.push(delivery.text());
      await delivery.ack();
      break;
    }
    expect(seen).toEqual(["a", "b", "c"]);
    await subscription.close();
    await expect(subscription.receive()).rejects.toMatchObject({ name: "ClientClosedError", code: "client_closed" });
    expect(subscription.endReason).toBeUndefined();
    const next = await receiveWithin(await client.subscribe(topic));
    expect(next.text()).toBe("d");
  }, BROKER_TEST_TIMEOUT_MS);

  it("logs a settlement that failed while nothing awaited it, and only that one", async () => {
    const warnings: unknown[][] = [];
    const client = await connect(broker(), { logger: { warn: (...args: unknown[]) => warnings.push(args) } });
    const topic = uniqueTopic("unobserved");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publishBatch(["a", "b"]);
    const subscription = await client.subscribe(topic);
    const [unawaited, awaited] = await receiveMany(subscription, 2);
    if (unawaited === undefined || awaited === undefined) throw new Error("no delivery");
    await subscription.close();
    // Both are stale now; one is awaited, the other is left alone.
    void unawaited.ack();
    const stale = await rejectionOf(awaited.ack());
    expect(stale).toMatchObject({ code: "stale_delivery" });
    await eventually(async () => (warnings.length > 0 ? true : undefined), 5000, "the warning");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.[0]).toContain(`ack() of delivery ${unawaited.deliveryId}`);
    expect(warnings[0]?.[1]).toBeInstanceOf(BrokerError);
    expect(warnings[0]?.[1]).toMatchObject({ code: "stale_delivery" });
  }, BROKER_TEST_TIMEOUT_MS);

  it("counts an auto-ack delivery as settled", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("auto-settled");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publish("a");
    const delivery = await receiveWithin(await client.subscribe(topic, { ackMode: "auto" }));
    expect(delivery.isSettled).toBe(true);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("flow control", () => {
  it("lets an auto-ack consumer behind on a backlog subscribe and await a confirmed publish per message", async () => {
    // Requests time out quickly here: a reply held back behind the consumer's flow control
    // would show as a timeout.
    const client = await connect(broker(), { requestTimeoutMs: 3000 });
    const source = uniqueTopic("flow-source");
    const target = uniqueTopic("flow-target");
    await client.declareQueue(source, { partitions: 4 });
    await client.declareQueue(target);
    await client.createPublisher(source).publishBatch(Array.from({ length: 1000 }, (_, index) => `m${index}`));
    const subscription = await client.subscribe(source, { ackMode: "auto", prefetch: 2 });
    const forward = client.createPublisher(target);
    let forwarded = 0;
    for await (const delivery of subscription) {
      await forward.publish(OutgoingMessage.bytes(delivery.payload));
      if (++forwarded === 100) break;
    }
    expect(await forward.publish("last")).toMatchObject({ offset: 100n });
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("settlement frames", () => {
  it("coalesces settlements issued together into one frame per kind, extensions first, each answered", async () => {
    const proxy = await TcpProxy.start(broker().protocolAddress);
    try {
      const client = await connect(proxy.address);
      const topic = uniqueTopic("coalesce");
      await client.declareQueue(topic, { partitions: 2 });
      await client.createPublisher(topic).publishBatch(Array.from({ length: 12 }, (_, index) => `m${index}`));
      const subscription = await client.subscribe(topic, { prefetch: 10 });
      const deliveries = await receiveMany(subscription, 12);
      const extendedThenAcked = deliveries[11];
      proxy.seen.length = 0;
      const settled = [
        ...deliveries.slice(0, 8).map((delivery) => delivery.ack()),
        deliveries[8]?.retry(),
        deliveries[9]?.fail("bad"),
        deliveries[10]?.retryAfter(60_000),
        extendedThenAcked?.extendLease(10_000),
        extendedThenAcked?.ack(),
      ];
      await Promise.all(settled);
      // The broker pushes its catalogue after the declare above, coalesced and so possibly as late as this, and
      // the client acknowledges it: not a settlement.
      const sent = proxy.seen.filter((entry) => entry.fromClient && entry.op !== "TopologyAck").map((entry) => entry.op);
      expect(sent).toEqual(["ExtendLease", "Nack", "Ack"]);
      expect(proxy.seen.filter((entry) => !entry.fromClient && entry.op === "SettleOk")).toHaveLength(3);
      // The retried message comes back; nothing else does.
      const again = await receiveWithin(subscription);
      expect(again).toMatchObject({ attempt: 2, offset: deliveries[8]?.offset, partition: deliveries[8]?.partition });
      await expectNoDelivery(subscription, 200);
    } finally {
      await proxy.stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);
});
