// Choosing a message's partition: FNV-1a of its key when it has one, round-robin per publisher
// when it has none, and partition 0 when the queue's partition count is unknown.

import { partitionForKey } from "./fnv1a.js";
import type { QueueRoute } from "./topology-cache.js";

/** A publisher's round-robin position over a queue's partitions. */
export class RoundRobin {
  private position = 0;

  /** The next partition out of `partitions`. */
  next(partitions: number): number {
    const partition = this.position % partitions;
    this.position = (partition + 1) % partitions;
    return partition;
  }
}

/**
 * The partition a message goes to.
 *
 * @param route - what the client knows about the queue; `undefined` when it knows nothing
 * @param key - the message's partition key bytes, if any
 * @param roundRobin - the publisher's round-robin position, used for keyless messages
 */
export function choosePartition(route: QueueRoute | undefined, key: Uint8Array | undefined, roundRobin: RoundRobin): number {
  if (route === undefined || route.partitions <= 1) return 0;
  if (key !== undefined) return partitionForKey(key, route.partitions);
  return roundRobin.next(route.partitions);
}
