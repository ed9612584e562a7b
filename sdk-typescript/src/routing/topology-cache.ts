// The topology cache: the partition count and routing version of each queue and stream the
// client has learned about, from DeclareQueueOk replies and from Topology replies and pushes.

import { normaliseGroup } from "../naming.js";
import type { Topology } from "../wire/generated/messages.js";

/** What the client knows about routing to one queue or stream. */
export interface QueueRoute {
  /** The partition count. */
  readonly partitions: number;
  /** The version to send with publishes, when a topology has given one. */
  readonly routingVersion: bigint | undefined;
}

function keyOf(topic: string, group: string | undefined): string {
  // A NUL cannot occur in a valid name, so it separates topic and group unambiguously.
  return `${topic}\u0000${normaliseGroup(group) ?? ""}`;
}

/** The routing knowledge of one connection's session. */
export class TopologyCache {
  private readonly routes = new Map<string, QueueRoute>();
  private generation: bigint | undefined;
  private catalogueComplete = false;

  /** The route to a queue or stream, if known. */
  get(topic: string, group: string | undefined): QueueRoute | undefined {
    return this.routes.get(keyOf(topic, group));
  }

  /**
   * Whether a full catalogue has been applied and not invalidated since: a queue missing from a
   * complete cache does not exist, so there is no point asking the broker again.
   */
  get isComplete(): boolean {
    return this.catalogueComplete;
  }

  /** Records the partition count a `DeclareQueueOk` reported. */
  applyDeclared(topic: string, group: string | undefined, partitions: number): void {
    const key = keyOf(topic, group);
    const known = this.routes.get(key);
    // The routing version from a topology stays valid only while the partition count agrees.
    const routingVersion = known !== undefined && known.partitions === partitions ? known.routingVersion : undefined;
    this.routes.set(key, { partitions, routingVersion });
  }

  /**
   * Replaces the cache with a full catalogue, unless it is older than one already applied.
   *
   * @returns whether the catalogue was applied
   */
  applyTopology(topology: Topology): boolean {
    if (this.generation !== undefined && topology.generation < this.generation) return false;
    this.generation = topology.generation;
    this.routes.clear();
    for (const channel of topology.channels) {
      this.routes.set(keyOf(channel.topic, channel.group), {
        partitions: channel.partitions,
        routingVersion: channel.routingVersion,
      });
    }
    this.catalogueComplete = true;
    return true;
  }
}
