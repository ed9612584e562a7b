// The broker's catalogue as the client API presents it: every queue and stream with its
// partition count and routing version, and the brokers that serve them.

import { normaliseGroup } from "../naming.js";
import type { ChannelKind } from "../wire/generated/enums.js";
import type { Topology as WireTopology } from "../wire/generated/messages.js";

/** One broker of the deployment. */
export interface TopologyBroker {
  /** The broker's stable id. */
  readonly brokerId: string;
  /** Its `host:port` addresses, in order of preference. */
  readonly endpoints: readonly string[];
}

/** One queue or stream. */
export interface TopologyChannel {
  /** `queue` or `stream`. */
  readonly kind: ChannelKind;
  /** The topic. */
  readonly topic: string;
  /** The group, or `undefined` for none. */
  readonly group: string | undefined;
  /** The partition count. */
  readonly partitions: number;
  /** The routing version publishes to it carry. */
  readonly routingVersion: bigint;
  /** Per partition, an index into {@link Topology.brokers}; `undefined` when one broker owns everything. */
  readonly owners: readonly number[] | undefined;
}

/** The broker's catalogue of queues and streams. */
export interface Topology {
  /** The catalogue's generation; it increases with every change. */
  readonly generation: bigint;
  /** The brokers. */
  readonly brokers: readonly TopologyBroker[];
  /** Every queue and stream. */
  readonly channels: readonly TopologyChannel[];
  /**
   * The queue or stream `topic` in `group`, or `undefined` when the catalogue has none. The
   * group is normalised as everywhere (`undefined`, `""` and `"default"` mean none).
   */
  find(topic: string, group?: string): TopologyChannel | undefined;
}

/** The public form of a `Topology` frame. */
export function topologyFromWire(topology: WireTopology): Topology {
  const channels: readonly TopologyChannel[] = Object.freeze(
    topology.channels.map((channel) =>
      Object.freeze({
        kind: channel.kind,
        topic: channel.topic,
        group: channel.group,
        partitions: channel.partitions,
        routingVersion: channel.routingVersion,
        owners: channel.owners === undefined ? undefined : Object.freeze([...channel.owners]),
      }),
    ),
  );
  return Object.freeze({
    generation: topology.generation,
    brokers: Object.freeze(
      topology.brokers.map((broker) => Object.freeze({ brokerId: broker.brokerId, endpoints: Object.freeze([...broker.endpoints]) })),
    ),
    channels,
    find(topic: string, group?: string): TopologyChannel | undefined {
      const wanted = normaliseGroup(group);
      return channels.find((channel) => channel.topic === topic && channel.group === wanted);
    },
  });
}
