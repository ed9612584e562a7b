// Publishing against the fake broker, for the frames the client sends and answers a real broker
// does not give on cue: confirmed, unconfirmed and batched publishes and how scripted
// confirmations map to receipts; message fields and publisher defaults on the wire; routing
// through the client's topology (an unknown op, a redirect); checks made before sending; the
// DeclareQueue sent; and the reliable publisher's idempotency keys and its retries of scripted
// retryable errors. Publishing to real queues is broker/publish.test.ts and its neighbours.

import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../src/errors/invalid-argument-error.js";
import { ProtocolError } from "../src/errors/protocol-error.js";
import { OutgoingMessage } from "../src/publish/outgoing-message.js";
import { DeadLetterPolicy, deadLetterPolicyToWire } from "../src/queue/dead-letter-policy.js";
import { partitionForKey } from "../src/routing/fnv1a.js";
import { FrameFlags } from "../src/wire/generated/flags.js";
import { answerDeclares, answerPublishes, brokerAndClient, ENGINE_TIMEOUT_MS, errorCollector, rejectionOf } from "./support/harness.js";
import { declareQueueOk, errorReply, publishOk, topology } from "./support/scripted-replies.js";

describe("confirmed publish", () => {
  it("sends a Publish with the confirm flag and resolves with the partition, offset and duplicate flag", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    const offsets = [0n, 1n];
    broker.answer("Publish", () => publishOk({ partition: 0, offset: offsets.shift() ?? 99n }), 2);
    await client.declareQueue("orders");
    const publisher = client.createPublisher("orders");
    expect(await publisher.publish("one")).toEqual({ partition: 0, offset: 0n, duplicate: false });
    expect(await publisher.publish("two")).toEqual({ partition: 0, offset: 1n, duplicate: false });
    const [frame] = broker.framesOf("Publish");
    expect(frame?.header.flags).toBe(FrameFlags.Confirm);
    expect(frame?.header.requestId).toBeGreaterThan(0);
    broker.answer("Publish", () => publishOk({ partition: 3, offset: 2n ** 64n - 1n, duplicate: true }), 1);
    expect(await publisher.publish("three")).toEqual({ partition: 3, offset: 2n ** 64n - 1n, duplicate: true });
  }, ENGINE_TIMEOUT_MS);

  it("puts every message field on the wire, and applies the publisher's defaults only where the message sets none", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    answerPublishes(broker);
    await client.declareQueue("orders", { partitions: 4 });
    const publisher = client.createPublisher("orders", { delayMs: 250, ttlMs: 60_000 });
    const notBefore = new Date("2031-02-03T04:05:06.007Z");
    await publisher.publish(
      OutgoingMessage.json({ id: 1 }, { headers: { tenant: "acme", "sinew.client.trace": "t" }, key: "customer-9", ttlMs: 5000 }),
    );
    await publisher.publish(OutgoingMessage.text("later", { notBefore }));
    await publisher.publish(OutgoingMessage.bytes(new Uint8Array([1, 2]), { delayMs: 0 }));
    const [first, second, third] = broker.framesOf("Publish").map((frame) => frame.message.message);
    expect(first).toEqual({
      payload: new TextEncoder().encode('{"id":1}'),
      contentType: "application/json",
      headers: new Map([["sinew.client.trace", "t"], ["tenant", "acme"]]),
      partitionKey: new TextEncoder().encode("customer-9"),
      partition: partitionForKey("customer-9", 4),
      delayMs: 250n,
      ttlMs: 5000n,
    });
    expect(second).toMatchObject({ notBeforeMs: BigInt(notBefore.getTime()), ttlMs: 60_000n, contentType: "text/plain; charset=utf-8" });
    expect(second).not.toHaveProperty("delayMs");
    expect(third).toMatchObject({ delayMs: 0n, ttlMs: 60_000n });
    expect(third).not.toHaveProperty("contentType");
  }, ENGINE_TIMEOUT_MS);
});

describe("unconfirmed publish", () => {
  it("sends no confirm flag and request id 0, and reports the broker's failure through onError", async () => {
    const collected = errorCollector();
    const { broker, client } = await brokerAndClient({ onError: collected.onError });
    broker.answer("TopologyRequest", () => topology([]));
    broker.answer("Publish", () => errorReply("not_found", { details: { topic: "missing" } }));
    await client.createPublisher("missing").publishUnconfirmed("lost");
    const frame = await broker.waitForFrame("Publish");
    expect(frame.header).toMatchObject({ flags: 0, requestId: 0 });
    await broker.waitFor(() => collected.errors.length > 0, 2000, "the reported failure");
    expect(collected.errors[0]).toMatchObject({ name: "BrokerError", code: "not_found" });
  }, ENGINE_TIMEOUT_MS);
});

describe("batches", () => {
  it("sends one confirmed PublishBatch and maps the results to receipts in order", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    broker.answer("PublishBatch", () => publishOk({ partition: 0, offset: 0n }, { partition: 1, offset: 0n }, { partition: 0, offset: 1n }));
    await client.declareQueue("orders", { partitions: 2 });
    const receipts = await client.createPublisher("orders").publishBatch(["a", OutgoingMessage.json(2), new Uint8Array([3])]);
    expect(receipts).toEqual([
      { partition: 0, offset: 0n, duplicate: false },
      { partition: 1, offset: 0n, duplicate: false },
      { partition: 0, offset: 1n, duplicate: false },
    ]);
    const [frame] = broker.framesOf("PublishBatch");
    expect(frame?.header.flags).toBe(FrameFlags.Confirm);
    expect(frame?.message.messages.map((message) => message.partition)).toEqual([0, 1, 0]);
  }, ENGINE_TIMEOUT_MS);

  it("fails with ProtocolError when the broker confirms another number of messages", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    broker.answer("PublishBatch", () => publishOk({ partition: 0, offset: 0n }));
    await client.declareQueue("orders");
    await expect(client.createPublisher("orders").publishBatch(["a", "b"])).rejects.toBeInstanceOf(ProtocolError);
  }, ENGINE_TIMEOUT_MS);

  it("refuses more messages than the broker's batch limit, and sends nothing for an empty batch", async () => {
    const { broker, client } = await brokerAndClient({}, { helloOk: { limits: { maxBatchMessages: 3 } } });
    answerDeclares(broker);
    await client.declareQueue("orders");
    const publisher = client.createPublisher("orders");
    const error = await rejectionOf(publisher.publishBatch(["a", "b", "c", "d"]));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(await publisher.publishBatch([])).toEqual([]);
    expect(broker.framesOf("PublishBatch")).toHaveLength(0);
  }, ENGINE_TIMEOUT_MS);
});

describe("routing through the client", () => {
  it("sends keyed messages to fnv1a64(key) mod partitions and keyless ones round-robin per publisher", async () => {
    // The broker confirms each message on the partition the client chose.
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    answerPublishes(broker);
    await client.declareQueue("orders", { partitions: 4 });
    const first = client.createPublisher("orders");
    const second = client.createPublisher("orders");
    const keyless = [];
    for (let index = 0; index < 5; index++) keyless.push((await first.publish("x")).partition);
    expect(keyless).toEqual([0, 1, 2, 3, 0]);
    expect((await second.publish("x")).partition).toBe(0);
    for (const key of ["alice", "bob", "carol", "dave"]) {
      expect((await first.publish(OutgoingMessage.text("x", { key }))).partition).toBe(partitionForKey(key, 4));
    }
    expect(broker.framesOf("TopologyRequest")).toHaveLength(0);
  }, ENGINE_TIMEOUT_MS);

  it("asks the broker for the topology once when it knows nothing about the queue", async () => {
    const { broker, client } = await brokerAndClient();
    answerPublishes(broker);
    broker.answer("TopologyRequest", () => topology([{ topic: "orders", partitions: 3 }]));
    const publisher = client.createPublisher("orders");
    const receipts = await Promise.all([publisher.publish("a"), publisher.publish("b"), publisher.publish(OutgoingMessage.text("c", { key: "k" }))]);
    expect(receipts.map((receipt) => receipt.partition)).toEqual([0, 1, partitionForKey("k", 3)]);
    expect(broker.framesOf("TopologyRequest")).toHaveLength(1);
    await publisher.publish("d");
    expect(broker.framesOf("TopologyRequest")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);

  it("leaves a keyed message's partition to the broker when the queue is unknown, and sends keyless ones to partition 0", async () => {
    const { broker, client } = await brokerAndClient();
    broker.answer("TopologyRequest", () => errorReply("unknown_op"));
    // The broker routes a message without a partition by its key, as a real one does.
    broker.answer("Publish", (frame) => publishOk({ partition: frame.message.message.partition ?? partitionForKey("k", 3), offset: 0n }));
    const publisher = client.createPublisher("orders");
    expect((await publisher.publish(OutgoingMessage.text("a", { key: "k" }))).partition).toBe(partitionForKey("k", 3));
    await publisher.publish("b");
    const [keyed, keyless] = broker.framesOf("Publish").map((frame) => frame.message.message);
    expect(keyed).not.toHaveProperty("partition");
    expect(keyless?.partition).toBe(0);
  }, ENGINE_TIMEOUT_MS);

  it("asks for the topology again after the broker answers redirect, and sends the message again", async () => {
    const { broker, client } = await brokerAndClient();
    answerPublishes(broker);
    broker.answer("TopologyRequest", () => topology([{ topic: "orders", partitions: 2 }]));
    const publisher = client.createPublisher("orders");
    await publisher.publish("a");
    broker.answer("Publish", () => errorReply("redirect", { details: { routing_version: "2" } }), 1);
    await publisher.publish("b");
    expect(broker.framesOf("TopologyRequest")).toHaveLength(2);
    expect(broker.framesOf("Publish")).toHaveLength(3);
  }, ENGINE_TIMEOUT_MS);
});

describe("checks before sending", () => {
  it("refuses a reserved header, an invalid name or too many headers without sending anything", async () => {
    const { broker, client } = await brokerAndClient({}, { helloOk: { limits: { maxHeaders: 2 } } });
    answerDeclares(broker);
    await client.declareQueue("orders");
    const publisher = client.createPublisher("orders");
    expect(() => OutgoingMessage.text("x", { headers: { "sinew.dlq.reason": "forged" } })).toThrow(InvalidArgumentError);
    const tooMany = OutgoingMessage.text("x", { headers: { a: "1", b: "2", c: "3" } });
    expect(await rejectionOf(publisher.publish(tooMany))).toMatchObject({ name: "InvalidArgumentError", argument: "headers", reason: "too_many" });
    expect(() => client.createPublisher("orders/eu")).toThrow(InvalidArgumentError);
    expect(() => client.createPublisher("orders", { group: "$system" })).toThrow(InvalidArgumentError);
    expect(await rejectionOf(client.declareQueue("bad name"))).toMatchObject({ argument: "topic", reason: "whitespace" });
    expect(await rejectionOf(client.declareQueue("orders", { partitions: 0 }))).toMatchObject({ argument: "partitions" });
    expect(await rejectionOf(publisher.publish(42 as never))).toBeInstanceOf(InvalidArgumentError);
    expect(broker.framesOf("Publish")).toHaveLength(0);
    expect(broker.framesOf("DeclareQueue")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);

  it("normalises the groups \"\" and \"default\" to no group", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    answerPublishes(broker);
    const info = await client.declareQueue("orders", { group: "default" });
    expect(info.group).toBeUndefined();
    await client.createPublisher("orders", { group: "" }).publish("x");
    await client.declareQueue("orders", { group: "eu" });
    expect(broker.framesOf("DeclareQueue").map((frame) => frame.message.group)).toEqual([undefined, "eu"]);
    expect(broker.framesOf("Publish")[0]?.message).not.toHaveProperty("group");
  }, ENGINE_TIMEOUT_MS);
});

describe("declaring queues", () => {
  it("sends every setting and returns the effective settings", async () => {
    const { broker, client } = await brokerAndClient();
    const effective = {
      partitions: 3,
      deadLetter: { kind: "queue", topic: "orders.dead" },
      maxRetries: 7,
      defaultTtlMs: 86_400_000n,
      leaseMs: 45_000n,
    } as const;
    broker.answer("DeclareQueue", () => declareQueueOk({ ...effective, created: false }));
    broker.answer("DeclareQueue", () => declareQueueOk(effective), 1);
    const info = await client.declareQueue("orders", {
      group: "eu",
      partitions: 3,
      deadLetter: DeadLetterPolicy.toQueue("orders.dead", "default"),
      maxRetries: 7,
      defaultTtlMs: 86_400_000,
      leaseMs: 45_000,
    });
    expect(broker.framesOf("DeclareQueue")[0]?.message).toEqual({
      op: "DeclareQueue",
      topic: "orders",
      group: "eu",
      partitions: 3,
      deadLetter: { kind: "queue", topic: "orders.dead" },
      maxRetries: 7,
      defaultTtlMs: 86_400_000n,
      leaseMs: 45_000n,
    });
    expect(info).toMatchObject({ topic: "orders", group: "eu", created: true, partitions: 3, maxRetries: 7, defaultTtlMs: 86_400_000, leaseMs: 45_000 });
    expect(info.deadLetter).toMatchObject({ kind: "queue", topic: "orders.dead", group: undefined });
    const again = await client.declareQueue("orders", { group: "eu", partitions: 3 });
    expect(again.created).toBe(false);
  }, ENGINE_TIMEOUT_MS);

  it("offers the three dead-letter policies and checks the target queue's name", () => {
    expect(deadLetterPolicyToWire(DeadLetterPolicy.discard())).toEqual({ kind: "discard" });
    expect(deadLetterPolicyToWire(DeadLetterPolicy.global())).toEqual({ kind: "global" });
    expect(deadLetterPolicyToWire(DeadLetterPolicy.toQueue("dead", "eu"))).toEqual({ kind: "queue", topic: "dead", group: "eu" });
    expect(String(DeadLetterPolicy.toQueue("dead"))).toBe("queue(dead)");
    expect(() => DeadLetterPolicy.toQueue("")).toThrow(InvalidArgumentError);
  }, ENGINE_TIMEOUT_MS);

});

describe("reliable publisher", () => {
  it("stamps its producer id and consecutive sequence numbers in call order", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    answerPublishes(broker);
    await client.declareQueue("orders");
    const publisher = client.createReliablePublisher("orders", { producerId: "billing-1", firstSequence: 41n });
    await Promise.all([publisher.publish("a"), publisher.publish("b")]);
    await publisher.publishBatch(["c", "d"]);
    const stamps = [
      ...broker.framesOf("Publish").map((frame) => frame.message.message),
      ...broker.framesOf("PublishBatch").flatMap((frame) => frame.message.messages),
    ].map((message) => [message.producerId, message.sequence]);
    expect(stamps).toEqual([["billing-1", 41n], ["billing-1", 42n], ["billing-1", 43n], ["billing-1", 44n]]);
    expect(publisher.nextSequence).toBe(45n);
    expect(client.createReliablePublisher("orders").producerId).toMatch(/^[0-9a-f-]{36}$/);
  }, ENGINE_TIMEOUT_MS);

  it("retries a retryable failure with the same sequence until confirmed", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    answerPublishes(broker);
    await client.declareQueue("orders");
    broker.answer("Publish", () => errorReply("unavailable"), 2);
    const publisher = client.createReliablePublisher("orders", { initialRetryDelayMs: 5 });
    expect(await publisher.publish("a")).toEqual({ partition: 0, offset: 0n, duplicate: false });
    expect(broker.framesOf("Publish").map((frame) => frame.message.message.sequence)).toEqual([1n, 1n, 1n]);
  }, ENGINE_TIMEOUT_MS);

  it("throws a non-retryable failure at once, and gives up after maxAttempts", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    await client.declareQueue("orders");
    broker.answer("Publish", () => errorReply("invalid"), 1);
    const publisher = client.createReliablePublisher("orders", { maxAttempts: 3, initialRetryDelayMs: 1 });
    expect(await rejectionOf(publisher.publish("a"))).toMatchObject({ code: "invalid" });
    expect(broker.framesOf("Publish")).toHaveLength(1);
    broker.answer("Publish", () => errorReply("resource_exhausted"));
    expect(await rejectionOf(publisher.publish("b"))).toMatchObject({ code: "resource_exhausted", isRetryable: true });
    expect(broker.framesOf("Publish")).toHaveLength(4);
  }, ENGINE_TIMEOUT_MS);

  it("refuses an invalid producer id and options", async () => {
    const { client } = await brokerAndClient();
    expect(() => client.createReliablePublisher("orders", { producerId: "p".repeat(65) })).toThrow(InvalidArgumentError);
    expect(() => client.createReliablePublisher("orders", { maxAttempts: 0 })).toThrow(InvalidArgumentError);
    expect(() => client.createReliablePublisher("orders", { firstSequence: -1n })).toThrow(InvalidArgumentError);
  }, ENGINE_TIMEOUT_MS);
});
