// Closing a publisher, the same in every client: later publishes fail with ClientClosedError,
// closing waits for the confirmations still expected, a reliable publisher's retry wait stops,
// and the client stays open; a pipelined confirmation says whether it has completed. A fault
// proxy holds the broker's answers back so that a confirmation is certainly still on its way.

import { afterEach, describe, expect, it } from "vitest";
import { ClientClosedError } from "../../src/errors/client-closed-error.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { BROKER_TEST_TIMEOUT_MS, connect, eventually, rejectionOf, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();
const proxies: FaultProxy[] = [];

afterEach(async () => {
  await Promise.allSettled(proxies.splice(0).map((proxy) => proxy.stop()));
});

async function proxyToBroker(): Promise<FaultProxy> {
  const proxy = await FaultProxy.start(broker().protocolAddress);
  proxies.push(proxy);
  return proxy;
}

async function bytesUp(proxy: FaultProxy): Promise<number> {
  const [connection] = (await proxy.connections()).open;
  if (connection === undefined) throw new Error("the proxy has no open connection");
  return connection.up.read;
}

describe("closing a publisher", () => {
  it("waits for the confirmations still expected, then refuses publishes; the client stays open", async () => {
    const proxy = await proxyToBroker();
    const client = await connect(proxy.address, { requestTimeoutMs: 20_000 });
    const topic = uniqueTopic("publisher-close");
    await client.declareQueue(topic);
    const publisher = client.createPublisher(topic);

    await proxy.stall("down");
    const confirmation = await publisher.publishWithConfirmation("pending");
    let closed = false;
    const closing = publisher.close().then(() => (closed = true));
    expect(confirmation.isCompleted).toBe(false);
    expect(await rejectionOf(publisher.publish("late"))).toBeInstanceOf(ClientClosedError);
    expect(closed).toBe(false);

    await proxy.resume("down");
    await closing;
    expect(confirmation.isCompleted).toBe(true);
    expect((await confirmation.receipt).offset).toBe(0n);
    expect(await rejectionOf(publisher.publish("later"))).toBeInstanceOf(ClientClosedError);
    expect((await client.createPublisher(topic).publish("other")).offset).toBe(1n);
  }, BROKER_TEST_TIMEOUT_MS);

  it("stops a reliable publisher's retry waiting for its next attempt", async () => {
    const proxy = await proxyToBroker();
    const client = await connect(proxy.address);
    const topic = uniqueTopic("reliable-close");
    await client.declareQueue(topic);
    const publisher = client.createReliablePublisher(topic, { initialRetryDelayMs: 30_000, maxRetryDelayMs: 30_000 });

    // The first attempt is cut off with its connection; the retry then waits 30 s.
    await proxy.stall("down");
    const before = await bytesUp(proxy);
    const publishing = rejectionOf(publisher.publish("retried"));
    await eventually(async () => ((await bytesUp(proxy)) > before ? true : undefined), 10_000, "the publish being written");
    await proxy.cut();
    await eventually(() => (client.isConnected ? undefined : true), 10_000, "the client noticing the cut");

    await publisher.close();
    const error = await publishing;
    expect(error).toBeInstanceOf(ClientClosedError);
    expect(await rejectionOf(publisher.publish("late"))).toBeInstanceOf(ClientClosedError);
  }, BROKER_TEST_TIMEOUT_MS);
});
