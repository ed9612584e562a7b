// The manual-ack deliveries of one subscription that were handed to the application and are not
// settled yet. When a subscription or the client leaves, the broker returns every unsettled
// delivery but counts a failure only for those the client lists as handed out (protocol 8.5), so
// a prefetched message the application never saw spends none of its retries.

import type { SettlementObserver } from "../connection/settlement-batcher.js";

/**
 * Handed-out deliveries by delivery id, each with its partition: the partition says which broker
 * subscription of a fan-in carried it, since each partition is covered by exactly one. One map
 * entry per delivery the application holds, removed when the broker settles it.
 * @internal
 */
export class HandedOutDeliveries implements SettlementObserver {
  private readonly partitionById = new Map<bigint, number>();

  /** How many deliveries are held. */
  get size(): number {
    return this.partitionById.size;
  }

  /** Records a delivery handed to the application. */
  add(deliveryId: bigint, partition: number): void {
    this.partitionById.set(deliveryId, partition);
  }

  /**
   * The broker settled the delivery, or answered that it no longer holds it (`stale_delivery`):
   * either way it is no longer the application's to return.
   */
  settled(deliveryId: bigint): void {
    this.partitionById.delete(deliveryId);
  }

  /**
   * Removes the deliveries that came through `partitions` and lists at most `maxItems` of them,
   * the oldest first, for an `Unsubscribe`. Those past the cut are forgotten too: the broker
   * returns them anyway, only without counting their failure.
   */
  takeFrom(partitions: readonly number[], maxItems: number): bigint[] {
    const covered = new Set(partitions);
    const listed: bigint[] = [];
    for (const [deliveryId, partition] of this.partitionById) {
      if (!covered.has(partition)) continue;
      this.partitionById.delete(deliveryId);
      if (listed.length < maxItems) listed.push(deliveryId);
    }
    return listed;
  }

  /** Lists at most `maxItems` of the deliveries held, the oldest first, keeping them. */
  list(maxItems: number): bigint[] {
    const listed: bigint[] = [];
    for (const deliveryId of this.partitionById.keys()) {
      if (listed.length >= maxItems) break;
      listed.push(deliveryId);
    }
    return listed;
  }

  /** Forgets every delivery: their session is gone, or the broker returned them. */
  clear(): void {
    this.partitionById.clear();
  }
}
