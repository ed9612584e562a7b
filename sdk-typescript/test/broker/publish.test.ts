// Publishing to the real broker: confirmed, unconfirmed, pipelined and batched publishes, delays
// and TTLs (with expiry to a dead-letter queue), headers, and the payload helpers.

import { describe, expect, it } from "vitest";
import { BrokerError } from "../../src/errors/broker-error.js";
import { ClientClosedError } from "../../src/errors/client-closed-error.js";
import { InvalidArgumentError } from "../../src/errors/invalid-argument-error.js";
import type { SinewError } from "../../src/errors/sinew-error.js";
import { ContentTypes, OutgoingMessage } from "../../src/publish/outgoing-message.js";
import { DeadLetterPolicy } from "../../src/queue/dead-letter-policy.js";
import { FrameFlags } from "../../src/wire/generated/flags.js";
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
import { RawSession } from "../support/raw-session.js";

const broker = useRealBroker();

describe("publishing", () => {
  it("confirms each publish with its partition and an offset one higher than the last", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("confirmed");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    const receipts = [];
    for (let index = 0; index < 3; index++) receipts.push(await publisher.publish(`message ${index}`));
    expect(receipts).toEqual([
      { partition: 0, offset: 0n, duplicate: false },
      { partition: 0, offset: 1n, duplicate: false },
      { partition: 0, offset: 2n, duplicate: false },
    ]);
  }, BROKER_TEST_TIMEOUT_MS);

  it("stores unconfirmed publishes in order, ahead of a confirmed one sent after them", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("unconfirmed");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    for (let index = 0; index < 3; index++) await publisher.publishUnconfirmed(`fire ${index}`);
    expect(await publisher.publish("confirmed")).toEqual({ partition: 0, offset: 3n, duplicate: false });
    const subscription = await client.subscribe(topic, { ackMode: "auto" });
    const texts = (await receiveMany(subscription, 4)).map((delivery) => delivery.text());
    expect(texts).toEqual(["fire 0", "fire 1", "fire 2", "confirmed"]);
  }, BROKER_TEST_TIMEOUT_MS);

  it("reports the broker's refusal of an unconfirmed publish through onError", async () => {
    const errors: SinewError[] = [];
    const client = await connect(broker(), { onError: (error) => errors.push(error) });
    const topic = uniqueTopic("unconfirmed-missing");
    await client.createPublisher(topic).publishUnconfirmed("into the void");
    const reported = await eventually(() => errors.find((error) => error instanceof BrokerError), 5000, "the not_found report");
    expect(reported).toMatchObject({ code: "not_found", isRetryable: false });
    expect((reported as BrokerError).details.get("topic")).toBe(topic);
    // The connection survives an unconfirmed failure.
    expect(client.isConnected).toBe(true);
  }, BROKER_TEST_TIMEOUT_MS);

  it("keeps many confirmed publishes in flight and confirms each in order", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("pipelined");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    const confirmations = [];
    for (let index = 0; index < 50; index++) confirmations.push(await publisher.publishWithConfirmation(`pipelined ${index}`));
    const receipts = await Promise.all(confirmations.map((confirmation) => confirmation.receipt));
    expect(receipts.map((receipt) => receipt.offset)).toEqual(Array.from({ length: 50 }, (_, index) => BigInt(index)));
  }, BROKER_TEST_TIMEOUT_MS);

  it("publishes a batch in one frame with one receipt per message, in order", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("batch");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    await publisher.publish("before");
    const receipts = await publisher.publishBatch(["one", OutgoingMessage.json({ two: 2 }), new Uint8Array([3])]);
    expect(receipts.map((receipt) => receipt.offset)).toEqual([1n, 2n, 3n]);
    expect(await publisher.publishBatch([])).toEqual([]);
    const tooMany = Array.from({ length: 1025 }, (_, index) => `m${index}`);
    expect(await rejectionOf(publisher.publishBatch(tooMany))).toMatchObject({ name: "InvalidArgumentError", argument: "messages", reason: "too_many" });
    // Exactly the broker's limit is accepted.
    const atLimit = await publisher.publishBatch(tooMany.slice(0, 1024));
    expect(atLimit).toHaveLength(1024);
    expect(atLimit.at(-1)?.offset).toBe(1027n);
  }, BROKER_TEST_TIMEOUT_MS);

  it("does not deliver a delayed message before its delay, relative or absolute", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("delayed");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    const subscription = await client.subscribe(topic, { ackMode: "auto" });
    const sentAt = performance.now();
    await publisher.publish(OutgoingMessage.text("relative", { delayMs: 700 }));
    const notBefore = new Date(Date.now() + 900);
    await publisher.publish(OutgoingMessage.text("absolute", { notBefore }));
    await publisher.publish("immediate");
    const first = await receiveWithin(subscription);
    expect(first.text()).toBe("immediate");
    const relative = await receiveWithin(subscription, 10_000);
    expect(relative.text()).toBe("relative");
    expect(elapsedSince(sentAt)).toBeGreaterThanOrEqual(700);
    const absolute = await receiveWithin(subscription, 10_000);
    expect(absolute.text()).toBe("absolute");
    expect(Date.now()).toBeGreaterThanOrEqual(notBefore.getTime());
  }, BROKER_TEST_TIMEOUT_MS);

  it("applies a publisher's default delay to messages that set none", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("default-delay");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic, { delayMs: 600 });
    const subscription = await client.subscribe(topic, { ackMode: "auto" });
    const sentAt = performance.now();
    await publisher.publish("delayed by default");
    await publisher.publish(OutgoingMessage.text("not delayed", { delayMs: 0 }));
    expect((await receiveWithin(subscription)).text()).toBe("not delayed");
    expect((await receiveWithin(subscription, 10_000)).text()).toBe("delayed by default");
    expect(elapsedSince(sentAt)).toBeGreaterThanOrEqual(600);
  }, BROKER_TEST_TIMEOUT_MS);

  it("expires a message past its TTL into the dead-letter queue with reason expired", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("ttl");
    const dead = `${topic}.dead`;
    await client.declareQueue(dead);
    await client.declareQueue(topic, { deadLetter: DeadLetterPolicy.toQueue(dead) });
    const publisher = client.createPublisher(topic);
    const receipt = await publisher.publish(OutgoingMessage.json({ order: 7 }, { ttlMs: 200, headers: { tenant: "acme" } }));
    await publisher.publish(OutgoingMessage.text("keeps", { ttlMs: 600_000 }));
    const deadLetters = await client.subscribe(dead);
    const copy = await receiveWithin(deadLetters, 10_000, "the expired copy");
    expect(copy.json()).toEqual({ order: 7 });
    expect(copy.contentType).toBe(ContentTypes.json);
    expect(copy.headers.get("tenant")).toBe("acme");
    expect(copy.headers.get("sinew.dlq.reason")).toBe("expired");
    expect(copy.headers.get("sinew.dlq.source_topic")).toBe(topic);
    expect(copy.headers.has("sinew.dlq.source_group")).toBe(false);
    expect(copy.headers.get("sinew.dlq.source_partition")).toBe(String(receipt.partition));
    expect(copy.headers.get("sinew.dlq.source_offset")).toBe(String(receipt.offset));
    expect(copy.headers.get("sinew.dlq.attempts")).toBe("0");
    expect(Number(copy.headers.get("sinew.dlq.dead_lettered_at_ms"))).toBeGreaterThan(0);
    await copy.ack();
    // Only the expired message left; the other is still there.
    const source = await client.subscribe(topic);
    expect((await receiveWithin(source)).text()).toBe("keeps");
  }, BROKER_TEST_TIMEOUT_MS);

  it("applies the queue's default TTL to messages without their own", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("default-ttl");
    const dead = `${topic}.dead`;
    await client.declareQueue(dead);
    await client.declareQueue(topic, { defaultTtlMs: 200, deadLetter: DeadLetterPolicy.toQueue(dead) });
    await client.createPublisher(topic).publish("short-lived");
    const copy = await receiveWithin(await client.subscribe(dead), 10_000, "the expired copy");
    expect(copy.text()).toBe("short-lived");
    expect(copy.headers.get("sinew.dlq.reason")).toBe("expired");
  }, BROKER_TEST_TIMEOUT_MS);

  it("round-trips headers: Unicode keys and values, empty values, and the sinew.client. prefix", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("headers");
    await client.declareQueue(topic);
    const headers = new Map([
      ["tenant", "acme"],
      ["clé", "välue ✓ 🚀"],
      ["empty", ""],
      ["sinew.client.trace", "abc"],
      ["Z-last", "z"],
      ["10", "ten"],
      ["9", "nine"],
    ]);
    await client.createPublisher(topic).publish(OutgoingMessage.text("with headers", { headers }));
    const delivery = await receiveWithin(await client.subscribe(topic));
    expect(new Map(delivery.headers)).toEqual(headers);
  }, BROKER_TEST_TIMEOUT_MS);

  it("refuses reserved header keys before sending; the broker refuses them too and appends nothing of a batch", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("reserved");
    await client.declareQueue(topic);
    for (const key of ["sinew.dlq.reason", "Sinew.X", "SINEW.client"]) {
      let refused: unknown;
      try {
        OutgoingMessage.text("x", { headers: { [key]: "forged" } });
      } catch (error) {
        refused = error;
      }
      expect(refused, key).toBeInstanceOf(InvalidArgumentError);
      expect(refused, key).toMatchObject({ argument: "headers", reason: "reserved_prefix" });
    }
    const { session } = await RawSession.open(broker().protocolAddress);
    try {
      const answer = await session.request(
        {
          op: "PublishBatch",
          topic,
          messages: [
            { payload: new Uint8Array([1]) },
            { payload: new Uint8Array([2]), headers: new Map([["sinew.dlq.reason", "forged"]]) },
          ],
        },
        FrameFlags.Confirm,
      );
      expect(answer.message).toMatchObject({ op: "Error", code: 7 });
      const details = answer.message.op === "Error" ? answer.message.details : undefined;
      expect(details?.get("field")).toBe("headers");
      expect(details?.get("reason")).toBe("reserved_prefix");
    } finally {
      session.close();
    }
    // Nothing of the refused batch was appended: the next message takes offset 0.
    expect(await client.createPublisher(topic).publish("first")).toMatchObject({ offset: 0n });
  }, BROKER_TEST_TIMEOUT_MS);

  it("round-trips every payload helper with its content type", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("payloads");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    const binary = new Uint8Array(256).map((_, index) => index);
    await publisher.publishBatch([
      OutgoingMessage.text("héllo ✓ 🚀"),
      OutgoingMessage.json({ id: 1001, items: ["a", "b"], nested: { ok: true }, total: 42.5 }),
      OutgoingMessage.msgpack({ kind: "compact", values: [1, 2, 3], big: 2n ** 60n }),
      OutgoingMessage.bytes(binary, { contentType: "application/x-protobuf" }),
      OutgoingMessage.bytes(binary),
      OutgoingMessage.bytes(new Uint8Array()),
      OutgoingMessage.json({ custom: true }, { contentType: "application/vnd.sinew+json" }),
    ]);
    const [text, json, msgpack, custom, raw, empty, customJson] = await receiveMany(await client.subscribe(topic, { ackMode: "auto" }), 7);
    expect(text?.text()).toBe("héllo ✓ 🚀");
    expect(text?.contentType).toBe("text/plain; charset=utf-8");
    expect(json?.json()).toEqual({ id: 1001, items: ["a", "b"], nested: { ok: true }, total: 42.5 });
    expect(json?.contentType).toBe("application/json");
    expect(msgpack?.msgpack()).toEqual({ kind: "compact", values: [1, 2, 3], big: 2 ** 60 });
    expect(msgpack?.contentType).toBe("application/msgpack");
    expect(custom?.payload).toEqual(binary);
    expect(custom?.contentType).toBe("application/x-protobuf");
    expect(raw?.payload).toEqual(binary);
    expect(raw?.contentType).toBeUndefined();
    expect(empty?.payload).toEqual(new Uint8Array());
    expect(customJson?.json()).toEqual({ custom: true });
    expect(customJson?.contentType).toBe("application/vnd.sinew+json");
  }, BROKER_TEST_TIMEOUT_MS);

  it("carries a one-mebibyte payload, and refuses one over the broker's frame limit before sending", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("large");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    const large = new Uint8Array(1 << 20).map((_, index) => index % 251);
    await publisher.publish(OutgoingMessage.bytes(large));
    const delivery = await receiveWithin(await client.subscribe(topic, { ackMode: "auto" }));
    // Compared as bytes: a deep equality over a mebibyte of elements is slow.
    expect(delivery.payload.byteLength).toBe(large.byteLength);
    expect(Buffer.from(delivery.payload).equals(Buffer.from(large))).toBe(true);
    const limit = client.serverInfo?.limits.maxFrameBytes ?? 0;
    const error = await rejectionOf(publisher.publish(OutgoingMessage.bytes(new Uint8Array(limit))));
    expect(error).toMatchObject({ name: "InvalidArgumentError", argument: "payload", reason: "frame_too_large" });
    // The refused publish sent nothing: the connection is intact and the next offset is 1.
    expect(await publisher.publish("after")).toMatchObject({ offset: 1n });
  }, BROKER_TEST_TIMEOUT_MS);

  it("reports publishedAt from the broker's clock when the message was stored", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("published-at");
    await client.declareQueue(topic);
    const before = Date.now();
    await client.createPublisher(topic).publish("now");
    const after = Date.now();
    const delivery = await receiveWithin(await client.subscribe(topic, { ackMode: "auto" }));
    // Same machine, same clock: stored between the two readings (to the millisecond).
    expect(delivery.publishedAt.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(delivery.publishedAt.getTime()).toBeLessThanOrEqual(after + 1);
  }, BROKER_TEST_TIMEOUT_MS);

  it("refuses publishes on a closed publisher and waits for those in flight when closing", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("publisher-close");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    const inFlight = publisher.publish("in flight");
    await publisher.close();
    expect(await inFlight).toMatchObject({ offset: 0n });
    expect(await rejectionOf(publisher.publish("late"))).toBeInstanceOf(ClientClosedError);
    // Another publisher on the same client still works.
    expect(await client.createPublisher(topic).publish("other")).toMatchObject({ offset: 1n });
    const subscription = await client.subscribe(topic, { ackMode: "auto" });
    expect((await receiveMany(subscription, 2)).map((delivery) => delivery.text())).toEqual(["in flight", "other"]);
    await expectNoDelivery(subscription, 100);
  }, BROKER_TEST_TIMEOUT_MS);

  it("never reports a failed receipt nobody awaited as an unhandled rejection", async () => {
    const client = await connect(broker());
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await client.createPublisher(uniqueTopic("missing")).publishWithConfirmation("x");
      // The broker answers requests in order: once a later request is answered, the publish's
      // not_found has arrived too.
      await client.declareQueue(uniqueTopic("after"));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  }, BROKER_TEST_TIMEOUT_MS);
});
