// Reconnecting against the fake broker, where a test must see the frames of each session or
// script what a real broker does not do on cue: the Hello frames of each session, the times of
// connection attempts under the backoff, a handshake refused on reconnecting, the routing learnt
// again, and a drain notice's target tried first. What a real broker can show runs against it
// behind the fault proxy (broker/faults.test.ts).

import { describe, expect, it } from "vitest";
import { BrokerError } from "../src/errors/broker-error.js";
import { ConnectionError } from "../src/errors/connection-error.js";
import { OutgoingMessage } from "../src/publish/outgoing-message.js";
import { partitionForKey } from "../src/routing/fnv1a.js";
import { answerDeclares, answerPublishes, brokerAndClient, connectClient, ENGINE_TIMEOUT_MS, rejectionOf, startBroker } from "./support/harness.js";
import { declareQueueOk, errorReply, topology } from "./support/scripted-replies.js";
import type { SinewClient } from "../src/client/sinew-client.js";
import type { FakeBroker } from "./support/fake-broker.js";

async function dropAndWait(broker: FakeBroker, client: SinewClient): Promise<void> {
  broker.dropConnections();
  await broker.waitFor(() => !client.isConnected, 2000, "the client to notice the drop");
}

describe("reconnecting", () => {
  it("reconnects before the next operation after the connection dropped", async () => {
    const broker = await startBroker({ helloOk: (hello) => ({ sessionId: `session-${hello.session.id}` }) });
    const client = await connectClient(broker);
    answerDeclares(broker);
    await client.declareQueue("orders");
    await dropAndWait(broker, client);
    broker.answer("DeclareQueue", () => declareQueueOk({ created: false }));
    expect(client.serverInfo).toBeUndefined();
    expect((await client.declareQueue("orders")).created).toBe(false);
    expect(broker.framesOf("Hello")).toHaveLength(2);
    expect(client.serverInfo?.sessionId).toBe("session-2");
    // The first session's resume token (the handshake vector has one) is never offered: brokers do
    // not resume sessions yet.
    expect(broker.framesOf("Hello").map((hello) => hello.message.resumeToken)).toEqual([undefined, undefined]);
  }, ENGINE_TIMEOUT_MS);

  it("gives up after maxAttempts with exponential backoff, and starts a fresh round on the next operation", async () => {
    const { broker, client } = await brokerAndClient({ reconnect: { maxAttempts: 4, initialDelayMs: 40, maxDelayMs: 1000, jitter: 0 } });
    answerDeclares(broker);
    await dropAndWait(broker, client);
    broker.refuseConnections = true;
    const attemptsBefore = broker.connectionTimes.length;
    const error = await rejectionOf(client.declareQueue("orders"));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain("after 4 attempts");
    const attempts = broker.connectionTimes.slice(attemptsBefore);
    expect(attempts).toHaveLength(4);
    const gaps = attempts.slice(1).map((time, index) => time - (attempts[index] as number));
    // Each wait is at least its nominal backoff (timers never fire early; allow clock rounding).
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    expect(gaps[2]).toBeGreaterThanOrEqual(158);
    broker.refuseConnections = false;
    expect((await client.declareQueue("orders")).created).toBe(true);
  }, ENGINE_TIMEOUT_MS);

  it("stops at a broker that refuses the handshake, with its BrokerError", async () => {
    const { broker, client } = await brokerAndClient();
    await dropAndWait(broker, client);
    // Credentials that were good a moment ago are refused now.
    broker.answer("Hello", () => errorReply("unauthorized", { message: "token revoked" }));
    const error = await rejectionOf(client.declareQueue("orders"));
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: "unauthorized" });
    expect(broker.connectionTimes).toHaveLength(2);
  }, ENGINE_TIMEOUT_MS);

  it("keeps publishers working on the new connection, learning its routing again", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    answerPublishes(broker);
    broker.answer("TopologyRequest", () => topology([{ topic: "orders", partitions: 4 }]));
    await client.declareQueue("orders", { partitions: 4 });
    const publisher = client.createPublisher("orders");
    await publisher.publish("before");
    await dropAndWait(broker, client);
    const receipt = await publisher.publish(OutgoingMessage.text("after", { key: "customer-1" }));
    expect(receipt.partition).toBe(partitionForKey("customer-1", 4));
    expect(broker.framesOf("Publish").at(-1)?.message.message.partition).toBe(partitionForKey("customer-1", 4));
    expect(broker.framesOf("TopologyRequest").map((frame) => frame.session.id)).toEqual([2]);
  }, ENGINE_TIMEOUT_MS);

  it("tries the endpoint named by a drain notice first", async () => {
    const draining = await startBroker();
    const target = await startBroker();
    answerDeclares(target);
    const client = await connectClient(draining, { endpoints: [draining.address, target.address] });
    draining.pushToAll({ op: "GoingAway", deadlineAtMs: BigInt(Date.now()), message: "upgrade", reconnectTo: target.address });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await dropAndWait(draining, client);
    await client.declareQueue("orders");
    expect(client.serverInfo?.endpoint).toBe(target.address);
    expect(draining.connectionTimes).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);
});
