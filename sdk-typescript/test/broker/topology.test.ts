// What the client does with the real broker's topology. The broker never pushes a topology: it
// answers TopologyRequest with every queue and its partition count. A client that never declared
// a queue asks for it on its own the first time it publishes to or subscribes to that queue, and
// routes by the answer; after a reconnection the broker is asked again, and its answer routes even
// when its generation is lower than the last one seen (a broker replaced with fresh data).

import { mkdirSync, rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { partitionForKey } from "../../src/routing/fnv1a.js";
import { OutgoingMessage } from "../../src/publish/outgoing-message.js";
import { RealBroker } from "../support/broker-fixture.js";
import {
  BROKER_HOOK_TIMEOUT_MS,
  BROKER_TEST_TIMEOUT_MS,
  connect,
  receiveMany,
  uniqueTopic,
  useRealBroker,
} from "../support/real-broker.js";

const broker = useRealBroker();

describe("the broker's topology", () => {
  it("routes a queue declared by another client by the partition count the broker's answer gives", async () => {
    const creator = await connect(broker());
    const topic = uniqueTopic("topology-learned");
    await creator.declareQueue(topic, { partitions: 3 });

    // This client never declares the queue and never asks for the topology itself.
    const client = await connect(broker());
    const publisher = client.createPublisher(topic);
    const keyless = [];
    for (let index = 0; index < 6; index++) keyless.push((await publisher.publish(`m${index}`)).partition);
    expect(keyless).toEqual([0, 1, 2, 0, 1, 2]);
    for (const key of ["customer-42", "order-7", "ключ"]) {
      expect((await publisher.publish(OutgoingMessage.text(key, { key }))).partition).toBe(partitionForKey(key, 3));
    }

    const other = uniqueTopic("topology-fan-in");
    await creator.declareQueue(other, { partitions: 4 });
    await creator.createPublisher(other).publishBatch(["a", "b", "c", "d"]);
    const subscription = await client.subscribe(other, { ackMode: "auto" });
    expect(subscription.partitions).toEqual([0, 1, 2, 3]);
    const deliveries = await receiveMany(subscription, 4);
    expect(new Set(deliveries.map((delivery) => delivery.partition))).toEqual(new Set([0, 1, 2, 3]));
  }, BROKER_TEST_TIMEOUT_MS);

  it(
    "asks again after reconnecting to a broker replaced with fresh data, and routes by its answer",
    async () => {
      const own = await RealBroker.start({ settings: { "shutdown.timeout_ms": 2000 } });
      try {
        const client = await connect(own, { reconnect: { maxAttempts: 20, initialDelayMs: 20, maxDelayMs: 200 } });
        for (let index = 0; index < 4; index++) await client.declareQueue(uniqueTopic("topology-old"), { partitions: 2 });
        // Reading the whole catalogue leaves this connection's routing complete: a queue it does not
        // list would not be asked about again on this connection.
        expect((await client.topology()).generation).toBe(4n);

        // The replacement listens on the same address with none of the old data, and gets a queue
        // the client has never seen.
        await own.stop();
        rmSync(own.dataDir, { recursive: true, force: true });
        mkdirSync(own.dataDir);
        await own.restart();
        const creator = await connect(own);
        const after = uniqueTopic("topology-after");
        await creator.declareQueue(after, { partitions: 3 });

        // Routing carried over from the old connection would send these keyless messages to partition 0.
        const publisher = client.createPublisher(after);
        const partitions = [];
        for (let index = 0; index < 3; index++) partitions.push((await publisher.publish(`m${index}`)).partition);
        expect(partitions).toEqual([0, 1, 2]);
        const topology = await client.topology();
        expect(topology.generation).toBe(1n);
        expect(topology.brokers).toEqual([{ brokerId: client.serverInfo?.serverId, endpoints: [own.protocolAddress] }]);
        // The broker's own $dead-letters queue is in every catalogue.
        expect(topology.channels.map((channel) => [channel.topic, channel.partitions]).sort()).toEqual([["$dead-letters", 1], [after, 3]]);
      } finally {
        await own.dispose();
      }
    },
    BROKER_HOOK_TIMEOUT_MS,
  );
});
