// What InvalidArgumentError says for each misuse: the argument as written in TypeScript and the
// reason word every Sinew client uses for the same misuse (the C# and Python suites pin the same
// table in their own casing). The fake broker announces small limits and scripts the delivery to
// settle; refusals of settlements of real deliveries are in broker/consuming.test.ts.

import { describe, expect, it } from "vitest";
import { resolveClientOptions } from "../src/client/resolved-options.js";
import type { SinewClient } from "../src/client/sinew-client.js";
import { InvalidArgumentError } from "../src/errors/invalid-argument-error.js";
import { OutgoingMessage } from "../src/publish/outgoing-message.js";
import { DeadLetterPolicy } from "../src/queue/dead-letter-policy.js";
import type { FakeBroker } from "./support/fake-broker.js";
import { answerDeclares, answerSubscribes, brokerAndClient, ENGINE_TIMEOUT_MS } from "./support/harness.js";
import { deliver, topology } from "./support/scripted-replies.js";

const MAX_FRAME_BYTES = 4096;

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

async function smallBroker(): Promise<{ broker: FakeBroker; client: SinewClient }> {
  const started = await brokerAndClient({}, { helloOk: { limits: { maxFrameBytes: MAX_FRAME_BYTES, maxBatchMessages: 2, maxHeaders: 2, maxPrefetch: 1000 } } });
  answerDeclares(started.broker);
  await started.client.declareQueue("orders", { partitions: 2 });
  await started.client.declareQueue("audit");
  return started;
}

describe("argument errors", () => {
  it("refuses names, headers and message fields with the shared reasons", async () => {
    const { broker, client } = await smallBroker();
    const publisher = client.createPublisher("orders");
    expect(await refusal(() => client.declareQueue("my orders"))).toEqual(["topic", "whitespace"]);
    expect(await refusal(() => client.declareQueue(undefined as never))).toEqual(["topic", "wrong_type"]);
    expect(await refusal(() => client.subscribe("orders", { group: "a/b" }))).toEqual(["group", "reserved_character"]);
    expect(await refusal(() => DeadLetterPolicy.toQueue("bad topic"))).toEqual(["deadLetter.topic", "whitespace"]);
    expect(await refusal(() => client.createReliablePublisher("orders", { producerId: "p".repeat(65) }))).toEqual(["producerId", "too_long"]);

    expect(await refusal(() => OutgoingMessage.text("x", { headers: { "sinew.retry": "1" } }))).toEqual(["headers", "reserved_prefix"]);
    expect(await refusal(() => OutgoingMessage.text("x", { headers: { "": "v" } }))).toEqual(["headers", "empty"]);
    expect(await refusal(() => OutgoingMessage.text("x", { headers: { k: "v".repeat(4097) } }))).toEqual(["headers", "too_long"]);
    expect(await refusal(() => OutgoingMessage.text("x", { headers: { k: null as never } }))).toEqual(["headers", "wrong_type"]);
    const three = OutgoingMessage.text("x", { headers: { a: "1", b: "2", c: "3" } });
    expect(await refusal(() => publisher.publish(three))).toEqual(["headers", "too_many"]);
    expect(await refusal(() => OutgoingMessage.text("x", { contentType: "c".repeat(256) }))).toEqual(["contentType", "too_long"]);
    expect(await refusal(() => OutgoingMessage.text("x", { delayMs: 1000, notBefore: new Date() }))).toEqual(["delayMs", "conflicting_options"]);
    expect(await refusal(() => OutgoingMessage.text("x", { delayMs: -1 }))).toEqual(["delayMs", "out_of_range"]);
    expect(await refusal(() => OutgoingMessage.text("x", { ttlMs: 0 }))).toEqual(["ttlMs", "out_of_range"]);
    expect(await refusal(() => OutgoingMessage.text("x", { notBefore: new Date(-1000) }))).toEqual(["notBefore", "out_of_range"]);
    expect(await refusal(() => publisher.publish(new Uint8Array(MAX_FRAME_BYTES)))).toEqual(["payload", "frame_too_large"]);
    expect(await refusal(() => publisher.publishBatch(["a", "b", "c"]))).toEqual(["messages", "too_many"]);

    expect(await refusal(() => OutgoingMessage.text("\ud800"))).toEqual(["payload", "invalid_unicode"]);
    expect(await refusal(() => OutgoingMessage.text("x", { key: "\udc00" }))).toEqual(["key", "invalid_unicode"]);
    expect(await refusal(() => OutgoingMessage.json(1n))).toEqual(["payload", "not_json"]);
    expect(await refusal(() => OutgoingMessage.msgpack(Symbol("no MessagePack form")))).toEqual(["payload", "not_msgpack"]);
    expect(broker.framesOf("Publish")).toHaveLength(0);
  }, ENGINE_TIMEOUT_MS);

  it("accepts the topic of a broker-owned queue in subscribe only, still applying every other name rule", async () => {
    const { broker, client } = await smallBroker();
    expect(await refusal(() => client.declareQueue("$dead-letters"))).toEqual(["topic", "reserved_prefix"]);
    expect(await refusal(() => client.createPublisher("$dead-letters"))).toEqual(["topic", "reserved_prefix"]);
    expect(await refusal(() => client.createReliablePublisher("$dead-letters"))).toEqual(["topic", "reserved_prefix"]);
    expect(await refusal(() => DeadLetterPolicy.toQueue("$dead-letters"))).toEqual(["deadLetter.topic", "reserved_prefix"]);
    expect(await refusal(() => client.subscribe("$dead letters"))).toEqual(["topic", "whitespace"]);
    expect(await refusal(() => client.subscribe("$dead-letters", { group: "$eu" }))).toEqual(["group", "reserved_prefix"]);
    expect(broker.framesOf("DeclareQueue").filter((frame) => frame.message.topic.startsWith("$"))).toHaveLength(0);
    expect(broker.framesOf("Subscribe")).toHaveLength(0);

    broker.answer("TopologyRequest", () => topology([{ topic: "$dead-letters", partitions: 1 }]));
    answerSubscribes(broker);
    await client.subscribe("$dead-letters");
    expect(broker.framesOf("Subscribe").map((frame) => frame.message.topic)).toEqual(["$dead-letters"]);
  }, ENGINE_TIMEOUT_MS);

  it("refuses queue and subscription options with the shared reasons", async () => {
    const { broker, client } = await smallBroker();
    expect(await refusal(() => client.declareQueue("other", { partitions: 0 }))).toEqual(["partitions", "out_of_range"]);
    expect(await refusal(() => client.subscribe("orders", { prefetch: 0 }))).toEqual(["prefetch", "out_of_range"]);
    expect(await refusal(() => client.subscribe("orders", { prefetch: 1001 }))).toEqual(["prefetch", "out_of_range"]);
    expect(await refusal(() => client.subscribe("orders", { partition: 2 }))).toEqual(["partition", "out_of_range"]);
    expect(await refusal(() => client.subscribe("orders", { ackMode: "none" as never }))).toEqual(["ackMode", "wrong_type"]);
    expect(broker.framesOf("Subscribe")).toHaveLength(0);
  }, ENGINE_TIMEOUT_MS);

  it("refuses durations past the protocol ranges with the shared reasons", async () => {
    const { broker, client } = await smallBroker();
    const tooLong = 3650 * 86_400_000 + 1;
    const overTwelveHours = 12 * 3_600_000 + 1;
    expect(await refusal(() => OutgoingMessage.text("x", { ttlMs: tooLong }))).toEqual(["ttlMs", "out_of_range"]);
    expect(await refusal(() => OutgoingMessage.text("x", { ttlMs: 2 ** 64 }))).toEqual(["ttlMs", "out_of_range"]);
    expect(await refusal(() => OutgoingMessage.text("x", { delayMs: tooLong }))).toEqual(["delayMs", "out_of_range"]);
    expect(await refusal(() => OutgoingMessage.text("x", { notBefore: new Date(Date.now() + 3651 * 86_400_000) }))).toEqual([
      "notBefore",
      "out_of_range",
    ]);
    expect(await refusal(() => client.createPublisher("orders", { ttlMs: tooLong }))).toEqual(["ttlMs", "out_of_range"]);
    expect(await refusal(() => client.createReliablePublisher("orders", { delayMs: tooLong }))).toEqual(["delayMs", "out_of_range"]);
    expect(await refusal(() => client.declareQueue("other", { defaultTtlMs: tooLong }))).toEqual(["defaultTtlMs", "out_of_range"]);
    expect(await refusal(() => client.declareQueue("other", { leaseMs: overTwelveHours }))).toEqual(["leaseMs", "out_of_range"]);
    expect(await refusal(() => client.declareQueue("other", { leaseMs: 99 }))).toEqual(["leaseMs", "out_of_range"]);
    expect(broker.framesOf("DeclareQueue").filter((frame) => frame.message.topic === "other")).toHaveLength(0);

    answerSubscribes(broker);
    const subscription = await client.subscribe("orders");
    broker.openSessions[0]?.send(deliver(1n, [{ deliveryId: 1n, payload: "a" }]));
    const delivery = await subscription.receive();
    if (delivery === undefined) throw new Error("no delivery");
    expect(await refusal(() => delivery.retryAfter(tooLong))).toEqual(["delayMs", "out_of_range"]);
    expect(await refusal(() => delivery.extendLease(overTwelveHours))).toEqual(["byMs", "out_of_range"]);
    expect(broker.framesOf("Nack")).toHaveLength(0);
    expect(broker.framesOf("ExtendLease")).toHaveLength(0);
  }, ENGINE_TIMEOUT_MS);

  it("refuses client options with the shared reasons", async () => {
    expect(await refusal(() => resolveClientOptions({ endpoints: ["broker:99999"] }))).toEqual(["endpoints", "invalid_endpoint"]);
    expect(await refusal(() => resolveClientOptions({ endpoints: [] }))).toEqual(["endpoints", "empty"]);
    expect(await refusal(() => resolveClientOptions({ requestTimeoutMs: 0 }))).toEqual(["requestTimeoutMs", "out_of_range"]);
    expect(await refusal(() => resolveClientOptions({ heartbeatMs: 300_001 }))).toEqual(["heartbeatMs", "out_of_range"]);
    expect(await refusal(() => resolveClientOptions({ reconnect: { initialDelayMs: 1000, maxDelayMs: 500 } }))).toEqual([
      "reconnect.maxDelayMs",
      "out_of_range",
    ]);
    expect(await refusal(() => resolveClientOptions({ reconnect: { jitter: Number.NaN } }))).toEqual(["reconnect.jitter", "wrong_type"]);
  }, ENGINE_TIMEOUT_MS);
});
