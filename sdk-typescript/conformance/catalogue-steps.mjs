// The catalogue steps of the conformance driver (conformance/DRIVERS.md of the Sinew
// repository): the catalogue a client holds, and the next change a watcher of it reports. A
// client's watcher starts at its first `catalogue` step (or its first `next_catalogue_change`)
// and lives as long as the client.

import { OperationTimeoutError } from "@sinew/client";

/**
 * @typedef {import("@sinew/client").SinewClient} SinewClient
 * @typedef {import("@sinew/client").CatalogueChange} CatalogueChange
 * @typedef {import("@sinew/client").CatalogueEntry} CatalogueEntry
 * @typedef {Record<string, unknown>} Request
 * @typedef {{ iterator: AsyncIterableIterator<CatalogueChange>, reading: Promise<IteratorResult<CatalogueChange>> | undefined }} Watch
 */

// Keyed by the client itself, so a reset (which closes and forgets every client) leaves nothing behind.
/** @type {WeakMap<SinewClient, Watch>} */
const watches = new WeakMap();

/** @param {SinewClient} client */
function watchOf(client) {
  let watch = watches.get(client);
  if (watch === undefined) {
    watch = { iterator: client.watchCatalogue(), reading: undefined };
    watches.set(client, watch);
  }
  return watch;
}

/** @param {readonly CatalogueEntry[]} entries */
function queues(entries) {
  return entries
    .filter((entry) => entry.kind === "queue")
    .map((entry) => ({ topic: entry.topic, group: entry.group ?? null, partitions: entry.partitions, routing_version: entry.routingVersion.toString() }));
}

/**
 * The steps, given the driver's own ways of finding a client and reading a number argument.
 *
 * @param {(request: Request) => SinewClient} clientOf
 * @param {(request: Request, name: string) => number | undefined} optionalNumber
 */
export function catalogueSteps(clientOf, optionalNumber) {
  return {
    /** @param {Request} request */
    async catalogue(request) {
      const client = clientOf(request);
      const catalogue = await client.catalogue();
      watchOf(client);
      return { generation: catalogue.generation.toString(), queues: queues(catalogue.entries) };
    },

    /** @param {Request} request */
    async next_catalogue_change(request) {
      const timeoutMs = optionalNumber(request, "timeout_ms") ?? 5000;
      const watch = watchOf(clientOf(request));
      // A step that times out leaves the read running, so the change it waits for is reported
      // by the next step rather than lost.
      const reading = (watch.reading ??= watch.iterator.next());
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let timer;
      const timedOut = new Promise((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      });
      const next = await Promise.race([reading, timedOut]).finally(() => clearTimeout(timer));
      if (next === undefined) throw new OperationTimeoutError(`no catalogue change arrived within ${timeoutMs} ms`);
      watch.reading = undefined;
      if (next.done === true) throw new Error("the catalogue watch ended: the client was closed");
      return { added: queues(next.value.added), removed: queues(next.value.removed), changed: queues(next.value.changed) };
    },
  };
}
