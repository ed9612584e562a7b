// The client's live catalogue: the latest snapshot applied from a Topology (a reply or a push),
// the session it came from, the listeners told of each change, and a signal for the next
// snapshot that watchers wait on.

import { catalogueChange, catalogueOf, type Catalogue, type CatalogueChange } from "../client/catalogue.js";
import { normaliseGroup } from "../naming.js";
import type { Topology } from "../wire/generated/messages.js";

/**
 * Holds one frozen snapshot at a time and replaces it with every newer topology. Watchers keep
 * no queue: each remembers the snapshot it saw last and compares it with the current one when it
 * reads, so a watcher that never reads holds one reference however many topologies arrive.
 * Listeners are called at once, in order, with the difference each topology makes.
 */
export class CatalogueView {
  #current: Catalogue | undefined;
  #session: string | undefined;
  #next = signal();
  readonly #listeners = new Set<(change: CatalogueChange) => void>();

  /** @param onListenerError - where an exception a listener throws goes */
  constructor(private readonly onListenerError: (error: unknown) => void) {}

  /** The latest snapshot; `undefined` until the first topology establishes the view. */
  get current(): Catalogue | undefined {
    return this.#current;
  }

  /** Whether the current snapshot came from `session`. */
  isFrom(session: string): boolean {
    return this.#current !== undefined && this.#session === session;
  }

  /**
   * Replaces the snapshot, unless one of the same session with the same or a newer generation
   * is held (a reply and a push can cross). A topology of another session always replaces it:
   * generations are comparable within a session only.
   *
   * @returns whether the topology was applied
   */
  apply(topology: Topology, session: string): boolean {
    const previous = this.#current;
    if (previous !== undefined && this.#session === session && topology.generation <= previous.generation) return false;
    const next = catalogueOf(
      topology.generation,
      topology.channels.map((channel) => ({
        kind: channel.kind,
        topic: channel.topic,
        group: normaliseGroup(channel.group),
        partitions: channel.partitions,
        routingVersion: channel.routingVersion,
      })),
    );
    this.#current = next;
    this.#session = session;
    const released = this.#next;
    this.#next = signal();
    released.resolve();
    // Establishing the view is not a change; every later replacement that differs is.
    const change = previous === undefined ? undefined : catalogueChange(previous, next);
    if (change !== undefined) {
      for (const listener of [...this.#listeners]) {
        try {
          listener(change);
        } catch (error) {
          this.onListenerError(error);
        }
      }
    }
    return true;
  }

  /** Resolves once the current snapshot is no longer `seen` (at once when it already is not). */
  whenReplaced(seen: Catalogue | undefined): Promise<void> {
    return this.#current === seen ? this.#next.promise : Promise.resolve();
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: (change: CatalogueChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/** A promise and the function that resolves it (Node.js 20 has no `Promise.withResolvers`). */
function signal(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
