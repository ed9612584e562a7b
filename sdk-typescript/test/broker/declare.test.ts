// Declaring queues on the real broker: defaults, idempotent re-declaration, conflicts naming the
// differing field, names refused before sending (by the same rules the broker applies), group
// normalisation, groups as namespaces, and the topology.

import { describe, expect, it } from "vitest";
import { BrokerError } from "../../src/errors/broker-error.js";
import { InvalidArgumentError } from "../../src/errors/invalid-argument-error.js";
import { DeadLetterPolicy } from "../../src/queue/dead-letter-policy.js";
import { BROKER_TEST_TIMEOUT_MS, connect, expectNoDelivery, receiveWithin, rejectionOf, uniqueTopic, useRealBroker } from "../support/real-broker.js";
import { RawSession } from "../support/raw-session.js";
import { loadNames } from "../support/vector-files.js";

const broker = useRealBroker();
const names = loadNames();

describe("declaring queues", () => {
  it("creates a queue with the broker's defaults and reports them", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("defaults");
    const info = await client.declareQueue(topic);
    expect(info).toEqual({
      topic,
      group: undefined,
      created: true,
      partitions: 1,
      deadLetter: DeadLetterPolicy.global(),
      maxRetries: 5,
      defaultTtlMs: undefined,
      leaseMs: 30_000,
    });
  }, BROKER_TEST_TIMEOUT_MS);

  it("creates a queue with every setting given and reports them back", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("settings");
    const info = await client.declareQueue(topic, {
      group: "eu",
      partitions: 3,
      deadLetter: DeadLetterPolicy.toQueue(`${topic}.dead`, "ops"),
      maxRetries: 2,
      defaultTtlMs: 60_000,
      leaseMs: 1500,
    });
    expect(info).toEqual({
      topic,
      group: "eu",
      created: true,
      partitions: 3,
      deadLetter: DeadLetterPolicy.toQueue(`${topic}.dead`, "ops"),
      maxRetries: 2,
      defaultTtlMs: 60_000,
      leaseMs: 1500,
    });
  }, BROKER_TEST_TIMEOUT_MS);

  it("is idempotent: declaring again with settings that resolve to the same values creates nothing", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("idempotent");
    const first = await client.declareQueue(topic, { partitions: 2, maxRetries: 3 });
    const again = await client.declareQueue(topic, { partitions: 2, maxRetries: 3 });
    expect(first.created).toBe(true);
    expect(again).toEqual({ ...first, created: false });
    // Absent settings resolve to the broker's defaults, so they match a queue declared bare...
    const defaults = uniqueTopic("idempotent-defaults");
    await client.declareQueue(defaults);
    const explicit = await client.declareQueue(defaults, { partitions: 1, maxRetries: 5, leaseMs: 30_000, deadLetter: DeadLetterPolicy.global() });
    expect(explicit.created).toBe(false);
    expect((await client.declareQueue(defaults)).created).toBe(false);
    // ...and not one declared with other settings (spec 8.1: absent means the broker's default).
    expect(await rejectionOf(client.declareQueue(topic))).toMatchObject({ code: "conflict" });
  }, BROKER_TEST_TIMEOUT_MS);

  it.each([
    ["partitions", { partitions: 4 }, "2", "4"],
    ["max_retries", { maxRetries: 9 }, "3", "9"],
    ["lease_ms", { leaseMs: 1234 }, "30000", "1234"],
    ["default_ttl_ms", { defaultTtlMs: 5000 }, undefined, "5000"],
    ["dead_letter", { deadLetter: DeadLetterPolicy.discard() }, undefined, undefined],
  ] as const)("refuses a re-declaration with another %s as a conflict naming the field", async (field, change, existing, requested) => {
    const client = await connect(broker());
    const topic = uniqueTopic("conflict");
    const base = { partitions: 2, maxRetries: 3 };
    await client.declareQueue(topic, base);
    const error = await rejectionOf(client.declareQueue(topic, { ...base, ...change }));
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: "conflict", brokerCode: 9, isRetryable: false });
    const details = (error as BrokerError).details;
    expect(details.get("field")).toBe(field);
    if (existing !== undefined) expect(details.get("existing")).toBe(existing);
    if (requested !== undefined) expect(details.get("requested")).toBe(requested);
    expect((error as Error).message).toContain(field);
    // The queue is unchanged.
    expect(await client.declareQueue(topic, base)).toMatchObject({ created: false, partitions: 2, maxRetries: 3 });
  }, BROKER_TEST_TIMEOUT_MS);

  it("refuses every invalid name of the shared vectors before sending, with the reason the broker gives too", async () => {
    const client = await connect(broker());
    const { session } = await RawSession.open(broker().protocolAddress);
    try {
      const invalid = names.names.filter((entry) => !entry.valid);
      expect(invalid.length).toBeGreaterThan(5);
      for (const entry of invalid) {
        const refused = await rejectionOf(client.declareQueue(entry.value));
        expect(refused, entry.id).toBeInstanceOf(InvalidArgumentError);
        expect(refused, entry.id).toMatchObject({ argument: "topic", reason: entry.reason });
        // The client never sent it; the broker, asked directly, refuses it for the same reason.
        if (entry.reason === "invalid_unicode") continue; // a lone surrogate has no UTF-8 form to send
        const answer = await session.request({ op: "DeclareQueue", topic: entry.value });
        expect(answer.message, entry.id).toMatchObject({ op: "Error", code: 7 });
        const details = answer.message.op === "Error" ? answer.message.details : undefined;
        expect(details?.get("field"), entry.id).toBe("topic");
        expect(details?.get("reason"), entry.id).toBe(entry.reason);
      }
      const valid = names.names.filter((entry) => entry.valid);
      for (const entry of valid) {
        const declared = await client.declareQueue(entry.value);
        expect(declared.topic, entry.id).toBe(entry.value);
      }
    } finally {
      session.close();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("refuses an invalid group, and options out of range, before sending", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("options");
    expect(await rejectionOf(client.declareQueue(topic, { group: "a b" }))).toMatchObject({ argument: "group", reason: "whitespace" });
    expect(await rejectionOf(client.declareQueue(topic, { partitions: 0 }))).toMatchObject({ argument: "partitions", reason: "out_of_range" });
    expect(await rejectionOf(client.declareQueue(topic, { leaseMs: 0 }))).toMatchObject({ argument: "leaseMs", reason: "out_of_range" });
    expect(await rejectionOf(client.declareQueue(topic, { maxRetries: -1 }))).toMatchObject({ argument: "maxRetries", reason: "out_of_range" });
    // Nothing was created by the refused calls.
    const topology = await client.topology();
    expect(topology.channels.some((channel) => channel.topic === topic)).toBe(false);
  }, BROKER_TEST_TIMEOUT_MS);

  it("passes the broker's own refusal of a value it does not allow through as BrokerError invalid", async () => {
    const client = await connect(broker());
    // The broker allows at most 256 partitions by default; the client cannot know that limit.
    const error = await rejectionOf(client.declareQueue(uniqueTopic("too-many"), { partitions: 100_000 }));
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: "invalid", isRetryable: false });
    expect((error as BrokerError).details.get("field")).toBe("partitions");
  }, BROKER_TEST_TIMEOUT_MS);

  it("treats the groups \"\" and \"default\" as no group: all three spellings address one queue", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("default-group");
    const created = await client.declareQueue(topic, { group: "default" });
    expect(created).toMatchObject({ created: true, group: undefined });
    expect(await client.declareQueue(topic, { group: "" })).toMatchObject({ created: false, group: undefined });
    expect(await client.declareQueue(topic)).toMatchObject({ created: false, group: undefined });
    // "Default" is not normalised: it is a group of its own.
    expect(await client.declareQueue(topic, { group: "Default" })).toMatchObject({ created: true, group: "Default" });

    await client.createPublisher(topic, { group: "" }).publish("via the empty group");
    const subscription = await client.subscribe(topic, { group: "default" });
    expect((await receiveWithin(subscription)).text()).toBe("via the empty group");
  }, BROKER_TEST_TIMEOUT_MS);

  it("keeps queues of the same topic in different groups apart", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("namespaces");
    await client.declareQueue(topic, { group: "eu" });
    await client.declareQueue(topic, { group: "us" });
    await client.createPublisher(topic, { group: "eu" }).publish("for eu");
    const us = await client.subscribe(topic, { group: "us" });
    const eu = await client.subscribe(topic, { group: "eu" });
    const delivery = await receiveWithin(eu);
    expect(delivery).toMatchObject({ topic, group: "eu" });
    expect(delivery.text()).toBe("for eu");
    await expectNoDelivery(us, 200);
  }, BROKER_TEST_TIMEOUT_MS);

  it("lists declared queues in the topology with their group and partition count", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("topology");
    await client.declareQueue(topic, { partitions: 3 });
    await client.declareQueue(topic, { group: "g", partitions: 2 });
    const topology = await client.topology();
    expect(topology.generation).toBeGreaterThan(0n);
    expect(topology.brokers).toEqual([{ brokerId: client.serverInfo?.serverId, endpoints: [broker().protocolAddress] }]);
    const mine = topology.channels.filter((channel) => channel.topic === topic);
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "queue", topic, group: undefined, partitions: 3 }),
        expect.objectContaining({ kind: "queue", topic, group: "g", partitions: 2 }),
      ]),
    );
    expect(mine).toHaveLength(2);
    const later = await client.declareQueue(uniqueTopic("topology-later"));
    expect(later.created).toBe(true);
    expect((await client.topology()).generation).toBeGreaterThan(topology.generation);
  }, BROKER_TEST_TIMEOUT_MS);

  it("fails an operation on a queue that was never declared with BrokerError not_found naming the queue", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("missing");
    const publishError = await rejectionOf(client.createPublisher(topic).publish("x"));
    expect(publishError).toBeInstanceOf(BrokerError);
    expect(publishError).toMatchObject({ code: "not_found", brokerCode: 8, isRetryable: false });
    expect((publishError as BrokerError).details.get("topic")).toBe(topic);
    expect((publishError as Error).message).toContain("declareQueue");
    const subscribeError = await rejectionOf(client.subscribe(topic));
    expect(subscribeError).toMatchObject({ name: "BrokerError", code: "not_found" });
  }, BROKER_TEST_TIMEOUT_MS);
});
