// The client's live catalogue against the real broker: another client's declaration reaches a
// watcher and a listener through the broker's push, the catalogue lists declared queues with
// their partition counts and routing versions, and after the broker restarts with one queue's
// routing version raised and another queue gone, the client reconciles its view from a fresh
// catalogue, reports the differences and publishes on.

import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CatalogueChange, CatalogueEntry } from "../../src/client/catalogue.js";
import { RealBroker } from "../support/broker-fixture.js";
import { BROKER_TEST_TIMEOUT_MS, connect, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();

describe("the live catalogue", () => {
  it("reports a queue another client declares to a watcher and a listener, and lists it", async () => {
    const watching = await connect(broker());
    await watching.catalogue();
    const topic = uniqueTopic("catalogue-added");
    const heard = new Promise<CatalogueChange>((resolve) => {
      watching.onCatalogueChange((change) => {
        if (change.added.some((entry) => entry.topic === topic)) resolve(change);
      });
    });
    const watcher = watching.watchCatalogue();
    const watched = (async () => {
      for await (const change of watcher) if (change.added.some((entry) => entry.topic === topic)) return change;
      throw new Error("the watch ended");
    })();

    const declaring = await connect(broker());
    await declaring.declareQueue(topic, { partitions: 3 });

    const expected: CatalogueEntry = { kind: "queue", topic, group: undefined, partitions: 3, routingVersion: 1n };
    const change = await heard;
    expect(change.added).toContainEqual(expected);
    expect((await watched).added).toContainEqual(expected);
    const catalogue = await watching.catalogue();
    expect(catalogue.find(topic)).toEqual(expected);
    expect(catalogue.generation >= change.generation).toBe(true);
  }, BROKER_TEST_TIMEOUT_MS);

  it("lists a declared queue with its partition count, even right after declaring", async () => {
    const client = await connect(broker());
    const first = uniqueTopic("catalogue-listed");
    await client.declareQueue(first, { partitions: 4, group: "eu" });
    expect((await client.catalogue()).find(first, "eu")).toEqual({ kind: "queue", topic: first, group: "eu", partitions: 4, routingVersion: 1n });
    // The view is established now; a queue declared next is listed by the very next read.
    const second = uniqueTopic("catalogue-listed");
    await client.declareQueue(second, { partitions: 2 });
    expect((await client.catalogue()).find(second)?.partitions).toBe(2);
  }, BROKER_TEST_TIMEOUT_MS);

  it(
    "reconciles the view after a restart, reports the differences and publishes with the new routing version",
    async () => {
      const own = await RealBroker.start({ settings: { "shutdown.timeout_ms": 2000 } });
      try {
        const client = await connect(own, { reconnect: { maxAttempts: 20, initialDelayMs: 20, maxDelayMs: 200 } });
        const raised = uniqueTopic("raised");
        const gone = uniqueTopic("gone");
        await client.declareQueue(raised, { partitions: 2 });
        await client.declareQueue(gone);
        expect((await client.catalogue()).find(raised)?.routingVersion).toBe(1n);
        const watcher = client.watchCatalogue();

        // While the broker is down its queue files change as repartitioning would leave them.
        await own.stop();
        const raisedFile = join(queueDirectory(own, raised), "queue.json");
        const settings = JSON.parse(readFileSync(raisedFile, "utf8")) as Record<string, unknown>;
        writeFileSync(raisedFile, JSON.stringify({ ...settings, routing_version: 5 }));
        rmSync(queueDirectory(own, gone), { recursive: true });
        await own.restart();

        await client.ensureConnected();
        const removed: CatalogueEntry[] = [];
        const changed: CatalogueEntry[] = [];
        while (!(removed.some((entry) => entry.topic === gone) && changed.some((entry) => entry.topic === raised))) {
          const next = await watcher.next();
          expect(next.done).toBe(false);
          removed.push(...(next.value as CatalogueChange).removed);
          changed.push(...(next.value as CatalogueChange).changed);
        }
        expect(changed.find((entry) => entry.topic === raised)).toEqual({ kind: "queue", topic: raised, group: undefined, partitions: 2, routingVersion: 5n });
        const catalogue = await client.catalogue();
        expect(catalogue.find(gone)).toBeUndefined();

        // Stamped with version 5: the broker would redirect an older stamp.
        const publisher = client.createPublisher(raised);
        const partitions = [(await publisher.publish("m0")).partition, (await publisher.publish("m1")).partition];
        expect(partitions.sort()).toEqual([0, 1]);
        await watcher.return?.();
      } finally {
        await own.dispose();
      }
    },
    60_000,
  );
});

/** The directory the broker keeps a queue in, found by the topic its queue.json names. */
function queueDirectory(broker: RealBroker, topic: string): string {
  const root = join(broker.dataDir, "queues");
  for (const name of readdirSync(root)) {
    try {
      const settings = JSON.parse(readFileSync(join(root, name, "queue.json"), "utf8")) as { topic?: string };
      if (settings.topic === topic) return join(root, name);
    } catch {
      // Not a queue directory.
    }
  }
  throw new Error(`no queue directory for ${topic}`);
}
