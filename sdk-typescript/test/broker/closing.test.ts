// Closing the client against the real broker: settlements and Unsubscribes leave before the
// Goodbye (seen through a recording proxy), operations still waiting when the fault proxy holds
// back the broker's answers fail with ClientClosedError, and a dropped connection is not reopened
// just to close it.

import { describe, expect, it } from "vitest";
import { ClientClosedError } from "../../src/errors/client-closed-error.js";
import { bytesRead, clientThroughProxy, readPast, waitForDrop } from "../support/proxied-client.js";
import { BROKER_TEST_TIMEOUT_MS, connect, eventually, receiveWithin, rejectionOf, uniqueTopic, useRealBroker } from "../support/real-broker.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const broker = useRealBroker();

describe("closing the client", () => {
  it("sends pending settlements and Unsubscribes before Goodbye, then closes the connection", async () => {
    const proxy = await TcpProxy.start(broker().protocolAddress);
    try {
      const client = await connect(proxy.address);
      const topic = uniqueTopic("close-order");
      await client.declareQueue(topic, { partitions: 2 });
      await client.createPublisher(topic).publish("a");
      const subscription = await client.subscribe(topic);
      const delivery = await receiveWithin(subscription);
      const acked = delivery.ack();
      const ended = rejectionOf(subscription.receive());
      await client.close();
      await acked;
      expect(await ended).toMatchObject({ reason: "client_closed" });
      const ops = proxy.seen.filter((entry) => entry.fromClient && ["Ack", "Unsubscribe", "Goodbye"].includes(entry.op ?? "")).map((entry) => entry.op);
      expect(ops).toEqual(["Ack", "Unsubscribe", "Unsubscribe", "Goodbye"]);
      await eventually(() => (proxy.openConnections === 0 ? true : undefined), 2000, "the connection to close");
      expect(client.isClosed).toBe(true);
      expect(client.isConnected).toBe(false);
      expect(client.serverInfo).toBeUndefined();
    } finally {
      await proxy.stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);

  it("fails operations still waiting with ClientClosedError", async () => {
    // The broker's answers, the Goodbye's included, are held back from here on.
    const { proxy, client } = await clientThroughProxy(broker(), { closeTimeoutMs: 200 });
    await proxy.stall("down");
    const before = await bytesRead(proxy, "up");
    const pending = rejectionOf(client.declareQueue(uniqueTopic("waiting")));
    await readPast(proxy, "up", before, "the declare being written");
    await client.close();
    expect(await pending).toBeInstanceOf(ClientClosedError);
  }, BROKER_TEST_TIMEOUT_MS);

  it("closes without reconnecting when the connection had dropped", async () => {
    const { proxy, client } = await clientThroughProxy(broker());
    await proxy.cut();
    await waitForDrop(client);
    await client.close();
    expect((await proxy.connections()).accepted).toBe(1);
  }, BROKER_TEST_TIMEOUT_MS);
});
