// The client against the real broker when its answers come late: the fault proxy delays or holds
// back what the broker sends. A request times out and its late answer is dropped, confirmations
// held back leave pipelined publishes sent but unconfirmed, and a publisher waits for a slow
// confirmation when it closes.

import { describe, expect, it } from "vitest";
import { ClientClosedError } from "../../src/errors/client-closed-error.js";
import { OperationTimeoutError } from "../../src/errors/operation-timeout-error.js";
import { bytesForwarded, clientThroughProxy } from "../support/proxied-client.js";
import { BROKER_TEST_TIMEOUT_MS, eventually, rejectionOf, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();

describe("late answers", () => {
  it("fail a request with OperationTimeoutError after requestTimeoutMs, and the client stays usable", async () => {
    const { proxy, client } = await clientThroughProxy(broker(), { requestTimeoutMs: 150 });
    const topic = uniqueTopic("late-answer");
    const before = await bytesForwarded(proxy, "down");
    await proxy.delay(250, "down");
    const error = await rejectionOf(client.declareQueue(topic));
    expect(error).toBeInstanceOf(OperationTimeoutError);
    expect(error).toMatchObject({ code: "timeout", isRetryable: true });
    expect((error as Error).message).toContain("within 150 ms");
    // The late DeclareQueueOk reaches the client meanwhile and is dropped; the broker did create the queue.
    const answered = await eventually(async () => {
      const forwarded = await bytesForwarded(proxy, "down");
      return forwarded > before ? forwarded : undefined;
    }, 5000, "the late answer");
    // The declare also makes the broker push its catalogue (spec 8.9), held up behind the answer: let it through
    // before lifting the delay, so the next answer is not queued behind it.
    await eventually(async () => ((await bytesForwarded(proxy, "down")) > answered ? true : undefined), 5000, "the pushed topology");
    await proxy.delay(0, "down");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await client.declareQueue(topic)).toMatchObject({ topic, created: false });
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("pipelined confirmations", () => {
  it("resolves each publish once sent, with a receipt that arrives when the broker confirms", async () => {
    const { proxy, client } = await clientThroughProxy(broker());
    const topic = uniqueTopic("pipelined");
    await client.declareQueue(topic);
    // Every confirmation is held back until all twenty publishes are stored.
    await proxy.stall("down");
    const publisher = client.createPublisher(topic);
    const confirmations = await Promise.all(Array.from({ length: 20 }, (_, index) => publisher.publishWithConfirmation(`m${index}`)));
    let confirmed = 0;
    for (const confirmation of confirmations) void confirmation.receipt.then(() => confirmed++);
    await eventually(async () => ((await broker().queueStats(topic))[0]?.nextOffset === 20 ? true : undefined), 5000, "twenty publishes stored");
    expect(confirmed).toBe(0);
    await proxy.resume("down");
    const receipts = await Promise.all(confirmations.map((confirmation) => confirmation.receipt));
    expect(receipts.map((receipt) => receipt.offset)).toEqual(Array.from({ length: 20 }, (_, index) => BigInt(index)));
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("closing publishers", () => {
  it("waits for publishes in flight, then refuses new ones with ClientClosedError", async () => {
    const { proxy, client } = await clientThroughProxy(broker());
    const topic = uniqueTopic("close-in-flight");
    await client.declareQueue(topic);
    await proxy.delay(50, "down");
    const publisher = client.createPublisher(topic);
    const confirmation = await publisher.publishWithConfirmation("a");
    let confirmed = false;
    void confirmation.receipt.then(() => (confirmed = true));
    await publisher.close();
    expect(confirmed).toBe(true);
    expect(await rejectionOf(publisher.publish("b"))).toBeInstanceOf(ClientClosedError);
    const reliable = client.createReliablePublisher(topic);
    await reliable.close();
    expect(await rejectionOf(reliable.publish("c"))).toBeInstanceOf(ClientClosedError);
  }, BROKER_TEST_TIMEOUT_MS);
});
