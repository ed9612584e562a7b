// Routing as the client applies it: the topology cache fed by declarations and catalogues,
// FNV-1a partitions for keys, round-robin for keyless messages, partition 0 without routing
// information, and the fan-in queue that merges partition streams.

import { describe, expect, it } from "vitest";
import { FanIn } from "../src/routing/fan-in.js";
import { partitionForKey } from "../src/routing/fnv1a.js";
import { choosePartition, RoundRobin } from "../src/routing/partition-router.js";
import { TopologyCache } from "../src/routing/topology-cache.js";
import type { Topology } from "../src/wire/generated/messages.js";
import { loadPartitioning } from "./support/vector-files.js";

const TIMEOUT_MS = 10_000;

function topology(generation: bigint, channels: [string, string | undefined, number][]): Topology {
  return {
    op: "Topology",
    generation,
    brokers: [],
    channels: channels.map(([topic, group, partitions]) => ({
      kind: "queue" as const,
      topic,
      ...(group === undefined ? {} : { group }),
      partitions,
      routingVersion: generation * 10n,
    })),
  };
}

describe("topology cache", () => {
  it("learns partition counts from declarations, under the normalised group", () => {
    const cache = new TopologyCache();
    cache.applyDeclared("orders", "default", 4);
    expect(cache.get("orders", undefined)).toEqual({ partitions: 4, routingVersion: undefined });
    expect(cache.get("orders", "")).toEqual({ partitions: 4, routingVersion: undefined });
    expect(cache.get("orders", "eu")).toBeUndefined();
    expect(cache.isComplete).toBe(false);
  }, TIMEOUT_MS);

  it("replaces everything with a newer catalogue and ignores an older one", () => {
    const cache = new TopologyCache();
    expect(cache.applyTopology(topology(5n, [["orders", undefined, 3], ["orders", "eu", 2]]))).toBe(true);
    expect(cache.get("orders", "eu")).toEqual({ partitions: 2, routingVersion: 50n });
    expect(cache.isComplete).toBe(true);
    expect(cache.applyTopology(topology(4n, [["orders", undefined, 9]]))).toBe(false);
    expect(cache.get("orders", undefined)?.partitions).toBe(3);
    expect(cache.applyTopology(topology(6n, [["billing", undefined, 1]]))).toBe(true);
    expect(cache.get("orders", undefined)).toBeUndefined();
  }, TIMEOUT_MS);

  it("keeps a routing version through a declaration only while the partition count agrees", () => {
    const cache = new TopologyCache();
    cache.applyTopology(topology(2n, [["orders", undefined, 3]]));
    cache.applyDeclared("orders", undefined, 3);
    expect(cache.get("orders", undefined)?.routingVersion).toBe(20n);
    cache.applyDeclared("orders", undefined, 6);
    expect(cache.get("orders", undefined)).toEqual({ partitions: 6, routingVersion: undefined });
  }, TIMEOUT_MS);
});

describe("partition choice", () => {
  it("routes keys exactly like the shared partitioning vectors", () => {
    const vectors = loadPartitioning().vectors;
    expect(vectors.length).toBeGreaterThan(0);
    for (const vector of vectors) {
      const key = new Uint8Array(Buffer.from(vector.key_hex, "hex"));
      for (const { count, partition } of vector.partitions) {
        const route = { partitions: count, routingVersion: undefined };
        expect(choosePartition(route, key, new RoundRobin()), `${vector.id} mod ${count}`).toBe(count === 1 ? 0 : partition);
      }
    }
  }, TIMEOUT_MS);

  it("spreads keyless messages round-robin per publisher", () => {
    const route = { partitions: 3, routingVersion: undefined };
    const first = new RoundRobin();
    const second = new RoundRobin();
    expect([0, 1, 2, 3, 4].map(() => choosePartition(route, undefined, first))).toEqual([0, 1, 2, 0, 1]);
    expect(choosePartition(route, undefined, second)).toBe(0);
  }, TIMEOUT_MS);

  it("uses partition 0 without routing information or with one partition", () => {
    const key = new TextEncoder().encode("customer-42");
    expect(choosePartition(undefined, key, new RoundRobin())).toBe(0);
    expect(choosePartition(undefined, undefined, new RoundRobin())).toBe(0);
    expect(choosePartition({ partitions: 1, routingVersion: undefined }, undefined, new RoundRobin())).toBe(0);
    expect(choosePartition({ partitions: 8, routingVersion: undefined }, key, new RoundRobin())).toBe(partitionForKey(key, 8));
  }, TIMEOUT_MS);
});

describe("fan-in queue", () => {
  it("hands items out in arrival order, to waiting and later consumers", async () => {
    const queue = new FanIn<number>();
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    expect(await waiting).toEqual({ done: false, value: 1 });
    expect(await queue.next()).toEqual({ done: false, value: 2 });
    expect(queue.size).toBe(0);
  }, TIMEOUT_MS);

  it("ends quietly, dropping what is queued", async () => {
    const queue = new FanIn<number>();
    queue.push(1);
    const second = new FanIn<number>();
    const waiting = second.next();
    queue.finish();
    second.finish();
    expect(await queue.next()).toEqual({ done: true, value: undefined });
    expect(await waiting).toEqual({ done: true, value: undefined });
    queue.push(3);
    expect(queue.size).toBe(0);
  }, TIMEOUT_MS);

  it("fails after draining queued items when asked to, and at once otherwise", async () => {
    const failure = new Error("ended");
    const draining = new FanIn<number>();
    draining.push(1);
    draining.fail(failure, true);
    expect(await draining.next()).toEqual({ done: false, value: 1 });
    await expect(draining.next()).rejects.toBe(failure);
    const dropping = new FanIn<number>();
    dropping.push(1);
    dropping.fail(failure, false);
    await expect(dropping.next()).rejects.toBe(failure);
  }, TIMEOUT_MS);

  it("stops one wait on abort without losing later items", async () => {
    const queue = new FanIn<number>();
    const controller = new AbortController();
    const waiting = queue.next(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    queue.push(9);
    expect(await queue.next()).toEqual({ done: false, value: 9 });
  }, TIMEOUT_MS);

  it("keeps arrival order while it compacts taken items under a consumer that stays behind", async () => {
    const queue = new FanIn<number>();
    let pushed = 0;
    for (let round = 0; round < 5000; round++) {
      queue.push(pushed++);
      queue.push(pushed++);
      expect((await queue.next()).value).toBe(round);
    }
    expect(queue.size).toBe(5000);
    expect((await queue.next()).value).toBe(5000);
  }, TIMEOUT_MS);
});
