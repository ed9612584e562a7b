// The reliable publisher against the real broker: when a confirmation is lost with the
// connection, the retry on a new connection is recognised as a duplicate, so the queue holds each
// message exactly once.

import { afterEach, describe, expect, it } from "vitest";
import { BrokerError } from "../../src/errors/broker-error.js";
import { ConnectionLostError } from "../../src/errors/connection-lost-error.js";
import { OutgoingMessage } from "../../src/publish/outgoing-message.js";
import {
  BROKER_TEST_TIMEOUT_MS,
  connect,
  expectNoDelivery,
  receiveMany,
  rejectionOf,
  uniqueTopic,
  useRealBroker,
} from "../support/real-broker.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const broker = useRealBroker();
const proxies: TcpProxy[] = [];

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

async function proxyToBroker(): Promise<TcpProxy> {
  const proxy = await TcpProxy.start(broker().protocolAddress);
  proxies.push(proxy);
  return proxy;
}

/** Cuts the connection at the first `PublishOk` the broker sends: the message is stored, the client never hears so. */
function loseFirstConfirmation(proxy: TcpProxy): void {
  let cut = false;
  proxy.inspect = (op, fromClient) => {
    if (!cut && !fromClient && op === "PublishOk") {
      cut = true;
      return "cut";
    }
    return "forward";
  };
}

describe("reliable publisher", () => {
  it("retries a publish whose confirmation was lost and the broker reports the retry as a duplicate", async () => {
    const proxy = await proxyToBroker();
    const client = await connect(proxy.address);
    const topic = uniqueTopic("reliable");
    await client.declareQueue(topic);
    const reliable = client.createReliablePublisher(topic, { initialRetryDelayMs: 10 });
    loseFirstConfirmation(proxy);
    const first = await reliable.publish(OutgoingMessage.text("exactly once"));
    // The first attempt was stored at offset 0; the retry found it.
    expect(first).toEqual({ partition: 0, offset: 0n, duplicate: true });
    expect(proxy.seen.filter((entry) => entry.fromClient && entry.op === "Hello")).toHaveLength(2);
    expect(await reliable.publish("next")).toEqual({ partition: 0, offset: 1n, duplicate: false });
    const subscription = await client.subscribe(topic, { ackMode: "auto" });
    expect((await receiveMany(subscription, 2)).map((delivery) => delivery.text())).toEqual(["exactly once", "next"]);
    await expectNoDelivery(subscription, 200);
  }, BROKER_TEST_TIMEOUT_MS);

  it("retries a whole batch whose confirmation was lost, each message keeping its sequence number", async () => {
    const proxy = await proxyToBroker();
    const client = await connect(proxy.address);
    const topic = uniqueTopic("reliable-batch");
    await client.declareQueue(topic, { partitions: 2 });
    const reliable = client.createReliablePublisher(topic, { initialRetryDelayMs: 10 });
    loseFirstConfirmation(proxy);
    const receipts = await reliable.publishBatch(["a", "b", "c"]);
    expect(receipts.map((receipt) => receipt.duplicate)).toEqual([true, true, true]);
    expect(receipts.map((receipt) => `${receipt.partition}:${receipt.offset}`)).toEqual(["0:0", "1:0", "0:1"]);
    expect(reliable.nextSequence).toBe(4n);
    const subscription = await client.subscribe(topic, { ackMode: "auto" });
    expect((await receiveMany(subscription, 3)).map((delivery) => delivery.text()).sort()).toEqual(["a", "b", "c"]);
    await expectNoDelivery(subscription, 200);
  }, BROKER_TEST_TIMEOUT_MS);

  it("lets a plain publish whose confirmation was lost fail with ConnectionLostError, not replayed", async () => {
    const proxy = await proxyToBroker();
    const client = await connect(proxy.address);
    const topic = uniqueTopic("plain-lost");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);
    loseFirstConfirmation(proxy);
    const error = await rejectionOf(publisher.publish("maybe stored"));
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error).toMatchObject({ code: "connection_lost", isRetryable: true });
    // It was stored, once; the next publish reconnects and goes after it.
    expect(await publisher.publish("after")).toMatchObject({ offset: 1n, duplicate: false });
  }, BROKER_TEST_TIMEOUT_MS);

  it("deduplicates a producer id and sequence the broker has already stored, from any publisher", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("dedup");
    await client.declareQueue(topic);
    const producerId = `producer-${topic}`;
    const original = client.createReliablePublisher(topic, { producerId });
    const stored = [await original.publish("one"), await original.publish("two")];
    expect(stored.map((receipt) => receipt.duplicate)).toEqual([false, false]);
    const replay = client.createReliablePublisher(topic, { producerId, firstSequence: 1n });
    const replayed = [await replay.publish("one again"), await replay.publish("two again"), await replay.publish("three")];
    expect(replayed).toEqual([
      { ...stored[0], duplicate: true },
      { ...stored[1], duplicate: true },
      { partition: 0, offset: 2n, duplicate: false },
    ]);
    const subscription = await client.subscribe(topic, { ackMode: "auto" });
    expect((await receiveMany(subscription, 3)).map((delivery) => delivery.text())).toEqual(["one", "two", "three"]);
    await expectNoDelivery(subscription, 200);
  }, BROKER_TEST_TIMEOUT_MS);

  it("does not retry a failure that is not retryable", async () => {
    const proxy = await proxyToBroker();
    const client = await connect(proxy.address);
    const topic = uniqueTopic("reliable-missing");
    const reliable = client.createReliablePublisher(topic, { initialRetryDelayMs: 10 });
    const error = await rejectionOf(reliable.publish("nowhere"));
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: "not_found", isRetryable: false });
    expect(proxy.seen.filter((entry) => entry.fromClient && entry.op === "Publish")).toHaveLength(1);
  }, BROKER_TEST_TIMEOUT_MS);
});
