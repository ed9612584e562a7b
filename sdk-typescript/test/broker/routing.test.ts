// Partition routing and fan-in against the real broker: keys go to their FNV-1a partition (the
// client and the broker compute the same one), per-key order holds, keyless publishes take the
// partitions in turn, and one subscription consumes every partition and settles each delivery
// on its own partition.

import { describe, expect, it } from "vitest";
import { partitionForKey } from "../../src/routing/fnv1a.js";
import { OutgoingMessage } from "../../src/publish/outgoing-message.js";
import type { Delivery } from "../../src/subscribe/delivery.js";
import { FrameFlags } from "../../src/wire/generated/flags.js";
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
import { clientThroughProxy } from "../support/proxied-client.js";
import { RawSession } from "../support/raw-session.js";
import { loadPartitioning } from "../support/vector-files.js";

const broker = useRealBroker();
const partitioning = loadPartitioning();

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

describe("partition routing", () => {
  it("routes each key of the shared vectors to its FNV-1a partition, as both client and broker compute it", async () => {
    const client = await connect(broker());
    const { session } = await RawSession.open(broker().protocolAddress);
    try {
      const queues = new Map<number, string>();
      let checked = 0;
      for (const vector of partitioning.vectors) {
        const key = Buffer.from(vector.key_hex, "hex");
        for (const { count, partition } of vector.partitions) {
          if (count > 256) continue; // beyond the broker's largest partition count
          let topic = queues.get(count);
          if (topic === undefined) {
            topic = uniqueTopic(`fnv-${count}`);
            await client.declareQueue(topic, { partitions: count });
            queues.set(count, topic);
          }
          // The client routes the key itself and names the partition...
          const receipt = await client.createPublisher(topic).publish(OutgoingMessage.bytes(new Uint8Array([1]), { key: new Uint8Array(key) }));
          expect(receipt.partition, `${vector.id} over ${count}`).toBe(partition);
          // ...and the broker, given only the key, picks the same one.
          const answer = await session.request(
            { op: "Publish", topic, message: { payload: new Uint8Array([2]), partitionKey: new Uint8Array(key) } },
            FrameFlags.Confirm,
          );
          expect(answer.message.op === "PublishOk" ? answer.message.results[0]?.partition : answer.message, `${vector.id} over ${count} (broker)`).toBe(partition);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(10);
    } finally {
      session.close();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("hashes text keys as their UTF-8 bytes, and the broker refuses a partition that contradicts the key", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("text-keys");
    await client.declareQueue(topic, { partitions: 7 });
    const publisher = client.createPublisher(topic);
    for (const key of ["customer-42", "ключ", "🔑", ""]) {
      const receipt = await publisher.publish(OutgoingMessage.text("x", { key }));
      expect(receipt.partition, key).toBe(partitionForKey(key, 7));
    }
    const { session } = await RawSession.open(broker().protocolAddress);
    try {
      const key = new TextEncoder().encode("customer-42");
      const wrong = (partitionForKey(key, 7) + 1) % 7;
      const answer = await session.request({ op: "Publish", topic, message: { payload: new Uint8Array(), partitionKey: key, partition: wrong } }, FrameFlags.Confirm);
      expect(answer.message).toMatchObject({ op: "Error", code: 7 });
    } finally {
      session.close();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("keeps the order of each key's messages, on one partition per key", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("per-key-order");
    await client.declareQueue(topic, { partitions: 4 });
    const publisher = client.createPublisher(topic);
    const keys = Array.from({ length: 8 }, (_, index) => `customer-${index}`);
    const confirmations = [];
    for (let step = 0; step < 10; step++) {
      for (const key of keys) confirmations.push(await publisher.publishWithConfirmation(OutgoingMessage.json({ key, step }, { key })));
    }
    await Promise.all(confirmations.map((confirmation) => confirmation.receipt));
    const subscription = await client.subscribe(topic, { ackMode: "auto", prefetch: 20 });
    const deliveries = await receiveMany(subscription, keys.length * 10);
    const lastStep = new Map<string, number>();
    const partitionOf = new Map<string, number>();
    for (const delivery of deliveries) {
      const { key, step } = delivery.json<{ key: string; step: number }>();
      expect(step, key).toBe((lastStep.get(key) ?? -1) + 1);
      lastStep.set(key, step);
      expect(delivery.partition).toBe(partitionOf.get(key) ?? partitionForKey(key, 4));
      partitionOf.set(key, delivery.partition);
    }
    expect([...lastStep.values()]).toEqual(keys.map(() => 9));
  }, BROKER_TEST_TIMEOUT_MS);

  it("spreads keyless messages round-robin per publisher, batches included", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("round-robin");
    await client.declareQueue(topic, { partitions: 4 });
    const first = client.createPublisher(topic);
    const partitions = [];
    for (let index = 0; index < 6; index++) partitions.push((await first.publish(`k${index}`)).partition);
    expect(partitions).toEqual([0, 1, 2, 3, 0, 1]);
    expect((await first.publishBatch(["a", "b", "c"])).map((receipt) => receipt.partition)).toEqual([2, 3, 0]);
    // Another publisher keeps its own turn.
    expect((await client.createPublisher(topic).publish("other")).partition).toBe(0);
  }, BROKER_TEST_TIMEOUT_MS);

  it("without routing information, sends a keyed message with its key and no partition, and a keyless one to partition 0", async () => {
    const creator = await connect(broker());
    const { proxy, client } = await clientThroughProxy(broker());
    // The client reads the whole catalogue before the queue exists, so it knows nothing of it; what the broker sends
    // it is then held back, so the topology the broker pushes after the declare cannot teach it either.
    const topic = uniqueTopic("no-route");
    await client.topology();
    await proxy.stall("down");
    await creator.declareQueue(topic, { partitions: 4 });
    const publisher = client.createPublisher(topic);
    const key = ["a", "b", "c", "d", "e", "f"].find((candidate) => partitionForKey(candidate, 4) !== 0) ?? "a";
    const keyed = publisher.publish(OutgoingMessage.text("keyed", { key }));
    const keyless = [0, 1, 2].map((index) => publisher.publish(`keyless ${index}`));
    await eventually(async () => (sum((await broker().queueStats(topic)).map((p) => p.nextOffset)) === 4 ? true : undefined), 5000, "four publishes stored");
    await proxy.resume("down");
    // Naming partition 0 with this key would be refused; the broker hashed the key itself.
    expect((await keyed).partition).toBe(partitionForKey(key, 4));
    // Keyless: partition 0 every time (the broker alone would have spread them).
    expect((await Promise.all(keyless)).map((receipt) => receipt.partition)).toEqual([0, 0, 0]);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("partition fan-in", () => {
  it("delivers from every partition through one subscription and settles each on its own partition", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("fan-in");
    await client.declareQueue(topic, { partitions: 4 });
    const publisher = client.createPublisher(topic);
    await publisher.publishBatch(Array.from({ length: 8 }, (_, index) => `m${index}`));
    const subscription = await client.subscribe(topic, { prefetch: 2 });
    expect(subscription.partitions).toEqual([0, 1, 2, 3]);
    const deliveries = await receiveMany(subscription, 8);
    expect(new Set(deliveries.map((delivery) => delivery.partition))).toEqual(new Set([0, 1, 2, 3]));
    // One turn of acknowledgements across all partitions: each settles on its own partition.
    await Promise.all(deliveries.map((delivery) => delivery.ack()));
    await subscription.close();
    // Nothing comes back: every message was settled.
    const again = await client.subscribe(topic);
    await expectNoDelivery(again, 300);
  }, BROKER_TEST_TIMEOUT_MS);

  it("applies prefetch per partition", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("fan-in-prefetch");
    await client.declareQueue(topic, { partitions: 3 });
    await client.createPublisher(topic).publishBatch(Array.from({ length: 9 }, (_, index) => `m${index}`));
    const subscription = await client.subscribe(topic, { prefetch: 1 });
    const held: Delivery[] = await receiveMany(subscription, 3);
    expect(new Set(held.map((delivery) => delivery.partition))).toEqual(new Set([0, 1, 2]));
    await expectNoDelivery(subscription, 300);
    // Settling one partition's delivery frees that partition only.
    await held[0]?.ack();
    const next = await receiveWithin(subscription);
    expect(next.partition).toBe(held[0]?.partition);
    await expectNoDelivery(subscription, 200);
  }, BROKER_TEST_TIMEOUT_MS);

  it("consumes one partition only when asked", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("one-partition");
    await client.declareQueue(topic, { partitions: 4 });
    await client.createPublisher(topic).publishBatch(Array.from({ length: 8 }, (_, index) => `m${index}`));
    const subscription = await client.subscribe(topic, { partition: 2, ackMode: "auto" });
    expect(subscription.partitions).toEqual([2]);
    const deliveries = await receiveMany(subscription, 2);
    expect(deliveries.map((delivery) => delivery.partition)).toEqual([2, 2]);
    expect(deliveries.map((delivery) => delivery.text())).toEqual(["m2", "m6"]);
    await expectNoDelivery(subscription, 200);
    expect(await rejectionOf(client.subscribe(topic, { partition: 4 }))).toMatchObject({ name: "InvalidArgumentError", argument: "partition", reason: "out_of_range" });
  }, BROKER_TEST_TIMEOUT_MS);

  it("covers every partition with one broker subscription when it does not know the partition count", async () => {
    const creator = await connect(broker());
    const { proxy, client } = await clientThroughProxy(broker());
    const topic = uniqueTopic("fan-in-unknown");
    await client.topology();
    // Held back, so the topology the broker pushes after the declare does not reach the client before it subscribes.
    await proxy.stall("down");
    await creator.declareQueue(topic, { partitions: 3 });
    await creator.createPublisher(topic).publishBatch(["a", "b", "c"]);
    // A partition the client cannot check is refused by the broker.
    const outOfRange = rejectionOf(client.subscribe(topic, { partition: 9 }));
    const subscribed = client.subscribe(topic, { ackMode: "auto" });
    await eventually(async () => ((await broker().queueStats(topic)).every((p) => p.ready === 0) ? true : undefined), 5000, "every message delivered");
    await proxy.resume("down");
    expect(await outOfRange).toMatchObject({ name: "BrokerError", code: "not_found" });
    const subscription = await subscribed;
    expect(subscription.partitions).toEqual([0, 1, 2]);
    const deliveries = await receiveMany(subscription, 3);
    expect(new Set(deliveries.map((delivery) => delivery.partition))).toEqual(new Set([0, 1, 2]));
  }, BROKER_TEST_TIMEOUT_MS);
});
