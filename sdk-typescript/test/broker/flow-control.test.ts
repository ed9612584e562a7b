// Flow control against the real broker: an auto-ack consumer far behind stops reading, so the
// broker's pushes wait (its own counts show what it has handed over); a request's reply is still
// read past the waiting deliveries; and a subscription over many partitions opens on a backlog.

import { describe, expect, it } from "vitest";
import type { SinewClient } from "../../src/client/sinew-client.js";
import { BROKER_TEST_TIMEOUT_MS, connect, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();

/** Messages the broker has handed to auto-ack consumers: an auto-ack delivery is settled when sent. */
async function handedOver(topic: string, stored: number): Promise<number> {
  const unsettled = (await broker().queueStats(topic)).reduce((total, partition) => total + partition.unsettled, 0);
  return stored - unsettled;
}

/** Stores `count` copies of `payload`, a hundred to a batch. */
async function backlog(client: SinewClient, topic: string, count: number, payload: string): Promise<void> {
  const publisher = client.createPublisher(topic);
  for (let stored = 0; stored < count; stored += 100) {
    await publisher.publishBatch(Array.from({ length: Math.min(100, count - stored) }, () => payload));
  }
}

describe("flow control", () => {
  it("stops reading while an auto-ack consumer is far behind, so the broker's pushes wait", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("far-behind");
    await client.declareQueue(topic);
    const count = 400;
    const payload = "x".repeat(64 * 1024);
    await backlog(client, topic, count, payload);
    const subscription = await client.subscribe(topic, { ackMode: "auto", prefetch: 4 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Unread data fills the socket buffers, and the broker stops pushing until they drain.
    expect(await handedOver(topic, count)).toBeLessThan(count);
    let received = 0;
    for await (const delivery of subscription) {
      expect(delivery.payload.byteLength).toBe(payload.length);
      if (++received === count) break;
    }
    expect(await handedOver(topic, count)).toBe(count);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("flow control never holds back a reply", () => {
  it("reads on to the reply of a request made while an auto-ack consumer is behind, then pauses again", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("reply-behind");
    await client.declareQueue(topic);
    const count = 400;
    const payload = "x".repeat(64 * 1024);
    await backlog(client, topic, count, payload);
    const subscription = await client.subscribe(topic, { ackMode: "auto", prefetch: 4 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await handedOver(topic, count)).toBeLessThan(count);
    // The reply is behind the deliveries waiting in the socket: the client must read on to it.
    expect((await client.declareQueue(uniqueTopic("other"))).created).toBe(true);
    expect((await subscription.receive())?.payload.byteLength).toBe(payload.length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Reading paused again once the reply was in: the broker is still held back.
    expect(await handedOver(topic, count)).toBeLessThan(count);
  }, BROKER_TEST_TIMEOUT_MS);

  it("opens an auto-ack subscription over many partitions on a backlog, whose pushes arrive between the answers", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("many-partitions");
    await client.declareQueue(topic, { partitions: 8 });
    const payload = "x".repeat(16 * 1024);
    // Keyless messages go round-robin: fifty to each partition.
    await backlog(client, topic, 8 * 50, payload);
    expect((await broker().queueStats(topic)).map((partition) => partition.nextOffset)).toEqual(Array.from({ length: 8 }, () => 50));
    const subscription = await client.subscribe(topic, { ackMode: "auto", prefetch: 1 });
    expect(subscription.partitions).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await subscription.receive())?.payload.byteLength).toBe(payload.length);
  }, BROKER_TEST_TIMEOUT_MS);
});
