// The client's live view of the broker's queues and streams: a snapshot, one entry of it, and
// what changed between two snapshots.

import { normaliseGroup } from "../naming.js";
import type { ChannelKind } from "../wire/generated/enums.js";

/**
 * One queue or stream of a {@link Catalogue}. Two entries with the same kind, topic and group
 * are the same channel; it has changed when its partition count or routing version differs.
 */
export interface CatalogueEntry {
  /** `queue` or `stream`. */
  readonly kind: ChannelKind;
  /** The topic. */
  readonly topic: string;
  /** The group, or `undefined` for none. */
  readonly group: string | undefined;
  /** The partition count. */
  readonly partitions: number;
  /** The routing version publishes routed by this entry carry; it increases whenever the channel's partitioning changes. */
  readonly routingVersion: bigint;
}

/**
 * A snapshot of the broker's catalogue as the client holds it, from `client.catalogue()`. The
 * client keeps its view live from the broker's pushes; a snapshot never changes, a later call
 * returns a newer one.
 */
export interface Catalogue {
  /**
   * The catalogue generation. It orders the snapshots of one session only: after a reconnection
   * the broker may count from elsewhere (a restarted broker starts again).
   */
  readonly generation: bigint;
  /** Every queue and stream. */
  readonly entries: readonly CatalogueEntry[];
  /**
   * The queue or stream `topic` in `group`, or `undefined` when the catalogue has none. The
   * group is normalised as everywhere (`undefined`, `""` and `"default"` mean none).
   */
  find(topic: string, group?: string): CatalogueEntry | undefined;
}

/**
 * What changed between the catalogue a watcher saw last and the current one. Changes are
 * coalesced: a watcher that reads late gets one change covering everything since its previous
 * one, so a channel added and removed in between appears in neither list.
 */
export interface CatalogueChange {
  /** The generation of the catalogue the change leads to (comparable within a session only). */
  readonly generation: bigint;
  /** Channels that were not there before. */
  readonly added: readonly CatalogueEntry[];
  /** Channels that are gone, as they were last seen; after a reconnection, every channel the fresh catalogue no longer lists. */
  readonly removed: readonly CatalogueEntry[];
  /** Channels whose partition count or routing version changed, as they are now. */
  readonly changed: readonly CatalogueEntry[];
}

/** A frozen catalogue snapshot. */
export function catalogueOf(generation: bigint, entries: readonly CatalogueEntry[]): Catalogue {
  const frozen = Object.freeze(entries.map((entry) => Object.freeze({ ...entry })));
  return Object.freeze({
    generation,
    entries: frozen,
    find(topic: string, group?: string): CatalogueEntry | undefined {
      const wanted = normaliseGroup(group);
      return frozen.find((entry) => entry.topic === topic && entry.group === wanted);
    },
  });
}

/** What changed from `before` to `after`; `undefined` when nothing did. */
export function catalogueChange(before: Catalogue, after: Catalogue): CatalogueChange | undefined {
  const old = new Map<string, CatalogueEntry>();
  for (const entry of before.entries) old.set(keyOf(entry), entry);
  const added: CatalogueEntry[] = [];
  const changed: CatalogueEntry[] = [];
  for (const entry of after.entries) {
    const key = keyOf(entry);
    const was = old.get(key);
    if (was === undefined) added.push(entry);
    else if (was.partitions !== entry.partitions || was.routingVersion !== entry.routingVersion) changed.push(entry);
    old.delete(key);
  }
  // In the order the earlier snapshot listed them, as added and changed follow the later one's.
  const removed = before.entries.filter((entry) => old.has(keyOf(entry)));
  if (added.length === 0 && changed.length === 0 && removed.length === 0) return undefined;
  return Object.freeze({
    generation: after.generation,
    added: Object.freeze(added),
    removed: Object.freeze(removed),
    changed: Object.freeze(changed),
  });
}

function keyOf(entry: CatalogueEntry): string {
  // A NUL cannot occur in a valid name, so it separates the parts unambiguously.
  return `${entry.kind}\u0000${entry.topic}\u0000${entry.group ?? ""}`;
}
