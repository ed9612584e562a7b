// Finding a queue in the broker's catalogue by topic and group, the same in every client: the
// group is normalised (undefined, "" and "default" mean none), and a queue the catalogue lacks
// is undefined.

import { describe, expect, it } from "vitest";
import type { TopologyChannel } from "../../src/client/topology.js";
import { BROKER_TEST_TIMEOUT_MS, connect, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();

function describeChannel(channel: TopologyChannel | undefined): [string, string | undefined, number] | undefined {
  return channel === undefined ? undefined : [channel.topic, channel.group, channel.partitions];
}

describe("Topology.find", () => {
  it("returns the channel of a topic and group, or undefined", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("find");
    await client.declareQueue(topic, { partitions: 2 });
    await client.declareQueue(topic, { group: "eu", partitions: 3 });

    const topology = await client.topology();
    expect(describeChannel(topology.find(topic))).toEqual([topic, undefined, 2]);
    expect(describeChannel(topology.find(topic, "default"))).toEqual([topic, undefined, 2]);
    expect(describeChannel(topology.find(topic, ""))).toEqual([topic, undefined, 2]);
    expect(describeChannel(topology.find(topic, "eu"))).toEqual([topic, "eu", 3]);
    expect(topology.find(topic, "us")).toBeUndefined();
    expect(topology.find(`${topic}.missing`)).toBeUndefined();
  }, BROKER_TEST_TIMEOUT_MS);
});
