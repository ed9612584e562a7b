// Failures as the real broker counts them from what the client tells it: a delivery the
// application was given and that comes back counts one, a prefetched delivery it never saw counts
// none, the last attempt is marked, and dead letters of the global policy can be consumed from the
// broker's own $dead-letters queue.

import { describe, expect, it } from "vitest";
import type { SinewClient } from "../../src/client/sinew-client.js";
import { DeadLetterPolicy } from "../../src/queue/dead-letter-policy.js";
import type { Delivery } from "../../src/subscribe/delivery.js";
import type { Subscription } from "../../src/subscribe/subscription.js";
import { BROKER_TEST_TIMEOUT_MS, connect, eventually, expectNoDelivery, receiveMany, receiveWithin, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();

/** Publishes `payloads` to a new queue with a budget of three failures. */
async function queueHolding(client: SinewClient, label: string, payloads: readonly string[]): Promise<string> {
  const topic = uniqueTopic(label);
  await client.declareQueue(topic, { maxRetries: 3 });
  await client.createPublisher(topic).publishBatch([...payloads]);
  return topic;
}

/** Receives one delivery and waits until the rest of `total` are prefetched into the buffer, never handed out. */
async function receiveOneOf(subscription: Subscription, total: number): Promise<Delivery> {
  const delivery = await receiveWithin(subscription);
  await eventually(() => (subscription.buffered === total - 1 ? true : undefined), 5000, `${total - 1} prefetched deliveries`);
  return delivery;
}

/** Every delivery of the queue again, by payload, as attempt and failures; all acknowledged. */
async function redeliveredCounts(client: SinewClient, topic: string, count: number): Promise<Record<string, [number, number]>> {
  const subscription = await client.subscribe(topic, { prefetch: count });
  const deliveries = await receiveMany(subscription, count);
  await Promise.all(deliveries.map((delivery) => delivery.ack()));
  return Object.fromEntries(deliveries.map((delivery) => [delivery.text(), [delivery.attempt, delivery.failures]]));
}

describe("failures counted when a consumer leaves", () => {
  it("counts a failure for the delivery handed out before unsubscribing, and none for the prefetched ones", async () => {
    const client = await connect(broker());
    const topic = await queueHolding(client, "unsubscribe", ["a", "b", "c"]);
    const subscription = await client.subscribe(topic, { prefetch: 3 });
    const received = await receiveOneOf(subscription, 3);
    expect(received).toMatchObject({ attempt: 1, failures: 0, maxRetries: 3, isLastAttempt: false });
    await subscription.close();
    const expected: Record<string, [number, number]> = { a: [2, 0], b: [2, 0], c: [2, 0] };
    expected[received.text()] = [2, 1];
    expect(await redeliveredCounts(client, topic, 3)).toEqual(expected);
  }, BROKER_TEST_TIMEOUT_MS);

  it("counts a failure only for the delivery handed out when the client closes", async () => {
    const closing = await connect(broker());
    const topic = await queueHolding(closing, "close", ["a", "b", "c"]);
    const received = await receiveOneOf(await closing.subscribe(topic, { prefetch: 3 }), 3);
    await closing.close();
    const expected: Record<string, [number, number]> = { a: [2, 0], b: [2, 0], c: [2, 0] };
    expected[received.text()] = [2, 1];
    expect(await redeliveredCounts(await connect(broker()), topic, 3)).toEqual(expected);
  }, BROKER_TEST_TIMEOUT_MS);

  it("marks the delivery whose failure would exhaust the budget as the last attempt, and dead-letters it on that failure", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("last-attempt");
    const dead = `${topic}.dead`;
    await client.declareQueue(dead);
    await client.declareQueue(topic, { maxRetries: 1, deadLetter: DeadLetterPolicy.toQueue(dead) });
    await client.createPublisher(topic).publish("job");
    const subscription = await client.subscribe(topic);
    const first = await receiveWithin(subscription);
    expect(first).toMatchObject({ attempt: 1, failures: 0, maxRetries: 1, isLastAttempt: false });
    await first.retry("busy");
    const last = await receiveWithin(subscription);
    expect(last).toMatchObject({ attempt: 2, failures: 1, maxRetries: 1, isLastAttempt: true });
    await last.retry("still busy");
    const copy = await receiveWithin(await client.subscribe(dead));
    expect(copy.text()).toBe("job");
    expect(copy.headers.get("sinew.dlq.reason")).toBe("retries_exhausted");
    await expectNoDelivery(subscription, 300);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("the broker's $dead-letters queue", () => {
  it("receives the copy of a message failed on a queue with the global policy", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("global");
    await client.declareQueue(topic, { deadLetter: DeadLetterPolicy.global() });
    await client.createPublisher(topic).publish(`for ${topic}`);
    const delivery = await receiveWithin(await client.subscribe(topic));
    await delivery.fail("cannot handle");
    const deadLetters = await client.subscribe("$dead-letters");
    expect(deadLetters.topic).toBe("$dead-letters");
    // Other tests of this file may dead-letter into the same queue: find this queue's copy.
    let copy: Delivery | undefined;
    while (copy === undefined) {
      const candidate = await receiveWithin(deadLetters, 5000, `the dead letter of ${topic}`);
      await candidate.ack();
      if (candidate.headers.get("sinew.dlq.source_topic") === topic) copy = candidate;
    }
    expect(copy.text()).toBe(`for ${topic}`);
    expect(copy.headers.get("sinew.dlq.reason")).toBe("terminal_nack");
    expect(copy.headers.get("sinew.dlq.error")).toBe("cannot handle");
  }, BROKER_TEST_TIMEOUT_MS);
});
