// The client's live catalogue against the scripted fake and without a broker: which topologies
// replace the view, what a change lists, that a watcher or listener that does not keep up gets
// merged changes rather than a backlog, and how publishing reacts to the broker's redirect. A
// real single broker redirects only a publish stamped with a routing version older than the
// queue's, which a client keeping its catalogue live does not send (after a restart it refreshes
// before routing), so those answers are scripted here.

import { describe, expect, it } from "vitest";
import { partitionForKey } from "../src/routing/fnv1a.js";
import { CatalogueView } from "../src/routing/catalogue-view.js";
import { catalogueChange } from "../src/client/catalogue.js";
import { OutgoingMessage } from "../src/publish/outgoing-message.js";
import type { CatalogueChange } from "../src/client/catalogue.js";
import type { Topology } from "../src/wire/generated/messages.js";
import { answerPublishes, brokerAndClient, ENGINE_TIMEOUT_MS, errorCollector, rejectionOf } from "./support/harness.js";
import { errorReply, publishOk, topology } from "./support/scripted-replies.js";

const TIMEOUT_MS = 5000;

function catalogue(generation: bigint, queues: [string, number, bigint][]): Topology {
  return topology(queues.map(([topic, partitions, routingVersion]) => ({ topic, partitions, routingVersion })), generation);
}

function topics(entries: readonly { topic: string }[]): string[] {
  return entries.map((entry) => entry.topic);
}

describe("the catalogue view", () => {
  it("lists added, removed and changed channels between two snapshots", () => {
    const view = new CatalogueView(() => undefined);
    view.apply(catalogue(1n, [["kept", 1, 1n], ["grown", 2, 1n], ["gone", 1, 1n]]), "s");
    const before = view.current!;
    view.apply(catalogue(2n, [["kept", 1, 1n], ["grown", 4, 2n], ["new", 3, 1n]]), "s");
    const change = catalogueChange(before, view.current!)!;
    expect(change.generation).toBe(2n);
    expect(topics(change.added)).toEqual(["new"]);
    expect(topics(change.removed)).toEqual(["gone"]);
    expect(change.changed).toEqual([{ kind: "queue", topic: "grown", group: undefined, partitions: 4, routingVersion: 2n }]);
    expect(catalogueChange(view.current!, view.current!)).toBeUndefined();
  }, TIMEOUT_MS);

  it("compares generations within a session only", () => {
    const view = new CatalogueView(() => undefined);
    expect(view.apply(catalogue(5n, [["a", 1, 1n]]), "first")).toBe(true);
    expect(view.apply(catalogue(4n, [["b", 1, 1n]]), "first")).toBe(false);
    expect(view.apply(catalogue(5n, [["b", 1, 1n]]), "first")).toBe(false);
    expect(topics(view.current!.entries)).toEqual(["a"]);
    // A new session (a restarted broker counts from the start again) replaces the view.
    expect(view.apply(catalogue(1n, [["b", 1, 1n]]), "second")).toBe(true);
    expect(topics(view.current!.entries)).toEqual(["b"]);
    expect(view.isFrom("second")).toBe(true);
    expect(view.isFrom("first")).toBe(false);
  }, TIMEOUT_MS);

  it("normalises groups and finds channels by topic and group", () => {
    const view = new CatalogueView(() => undefined);
    view.apply(topology([{ topic: "orders", group: "default", partitions: 2 }, { topic: "orders", group: "eu", partitions: 3 }]), "s");
    expect(view.current!.entries[0]?.group).toBeUndefined();
    expect(view.current!.find("orders", "")?.partitions).toBe(2);
    expect(view.current!.find("orders", "eu")?.partitions).toBe(3);
    expect(view.current!.find("billing")).toBeUndefined();
  }, TIMEOUT_MS);

  it("tells listeners of each change at once, but not of establishing the view, and survives a listener that throws", () => {
    const thrown: unknown[] = [];
    const view = new CatalogueView((error) => thrown.push(error));
    const seen: CatalogueChange[] = [];
    view.listen(() => {
      throw new Error("listener bug");
    });
    const remove = view.listen((change) => seen.push(change));
    view.apply(catalogue(1n, [["a", 1, 1n]]), "s");
    view.apply(catalogue(2n, [["a", 1, 1n], ["b", 1, 1n]]), "s");
    remove();
    view.apply(catalogue(3n, []), "s");
    expect(seen.map((change) => topics(change.added))).toEqual([["b"]]);
    expect(thrown).toHaveLength(2);
  }, TIMEOUT_MS);
});

describe("watching the catalogue", () => {
  it("gives a watcher that was not read one merged change, however many catalogues arrived", async () => {
    const { broker, client } = await brokerAndClient();
    broker.answer("TopologyRequest", () => catalogue(1n, [["base", 1, 1n], ["dropped", 1, 1n]]), 1);
    await client.catalogue();
    const watcher = client.watchCatalogue();
    // Two thousand catalogues, each with a queue the next one no longer lists.
    for (let generation = 2n; generation <= 2_001n; generation++) {
      broker.pushToAll(catalogue(generation, [["base", 2, 2n], [`churn-${generation}`, 1, 1n]]));
    }
    await broker.waitFor(() => broker.framesOf("TopologyAck").some((frame) => frame.message.generation === 2_001n));

    const first = await watcher.next();
    expect(first.done).toBe(false);
    const change = first.value as CatalogueChange;
    expect(change.generation).toBe(2_001n);
    expect(topics(change.added)).toEqual(["churn-2001"]);
    expect(topics(change.removed)).toEqual(["dropped"]);
    expect(topics(change.changed)).toEqual(["base"]);

    // Nothing is queued behind it: the next read waits for the next catalogue.
    let settled = false;
    const next = watcher.next().then((result) => {
      settled = true;
      return result;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    broker.pushToAll(catalogue(2_002n, [["base", 2, 2n]]));
    expect(topics(((await next).value as CatalogueChange).removed)).toEqual(["churn-2001"]);
    await watcher.return?.();
  }, ENGINE_TIMEOUT_MS);

  it("ends a watcher when the client closes", async () => {
    const { broker, client } = await brokerAndClient();
    broker.answer("TopologyRequest", () => catalogue(1n, []));
    await client.catalogue();
    const next = client.watchCatalogue().next();
    await client.close();
    expect((await next).done).toBe(true);
  }, ENGINE_TIMEOUT_MS);

  it("reads the catalogue without a round trip once the session's catalogue has arrived", async () => {
    const { broker, client } = await brokerAndClient();
    broker.answer("TopologyRequest", () => catalogue(1n, [["orders", 2, 1n]]));
    expect((await client.catalogue()).find("orders")?.partitions).toBe(2);
    broker.pushToAll(catalogue(2n, [["orders", 2, 1n], ["billing", 1, 1n]]));
    await broker.waitFor(() => broker.framesOf("TopologyAck").length === 1);
    expect(topics((await client.catalogue()).entries)).toEqual(["orders", "billing"]);
    expect(broker.framesOf("TopologyRequest")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);
});

describe("publishing after a redirect", () => {
  const redirect = () => errorReply("redirect", { details: { routing_version: "2", endpoint: "127.0.0.1:7420" } });

  it("sends the message again with the refreshed partition count and routing version", async () => {
    const { broker, client } = await brokerAndClient();
    broker.answer("TopologyRequest", () => catalogue(1n, [["orders", 2, 1n]]), 1);
    await client.catalogue();
    broker.answer("TopologyRequest", () => catalogue(2n, [["orders", 3, 2n]]), 1);
    // The responder registered last is asked first.
    broker.answer("Publish", (frame) => publishOk({ partition: frame.message.message.partition ?? 0, offset: 0n }));
    broker.answer("Publish", () => redirect(), 1);

    const receipt = await client.createPublisher("orders").publish(OutgoingMessage.text("x", { key: "customer-7" }));

    expect(receipt.partition).toBe(partitionForKey("customer-7", 3));
    const sent = broker.framesOf("Publish").map((frame) => frame.message);
    expect(sent.map((publish) => publish.routingVersion)).toEqual([1n, 2n]);
    expect(sent.map((publish) => publish.message.partition)).toEqual([partitionForKey("customer-7", 2), partitionForKey("customer-7", 3)]);
    expect((await client.catalogue()).find("orders")?.partitions).toBe(3);
  }, ENGINE_TIMEOUT_MS);

  it("sends a redirected batch and a redirected pipelined publish again", async () => {
    const { broker, client } = await brokerAndClient();
    broker.answer("TopologyRequest", () => catalogue(2n, [["orders", 1, 2n]]));
    broker.answer("TopologyRequest", () => catalogue(1n, [["orders", 1, 1n]]), 1);
    answerPublishes(broker);
    broker.answer("PublishBatch", () => redirect(), 1);
    await client.catalogue();
    const publisher = client.createPublisher("orders");
    expect(await publisher.publishBatch(["a", "b"])).toHaveLength(2);
    broker.answer("Publish", () => redirect(), 1);
    const confirmation = await publisher.publishWithConfirmation("c");
    expect((await confirmation.receipt).partition).toBe(0);
    expect(broker.framesOf("PublishBatch").map((frame) => frame.message.routingVersion)).toEqual([1n, 2n]);
    expect(broker.framesOf("Publish").map((frame) => frame.message.routingVersion)).toEqual([2n, 2n]);
  }, ENGINE_TIMEOUT_MS);

  it("fails with the redirect after three resends when the broker keeps redirecting", async () => {
    const { broker, client } = await brokerAndClient();
    broker.answer("TopologyRequest", () => catalogue(1n, [["orders", 1, 1n]]));
    broker.answer("Publish", () => redirect());
    const error = await rejectionOf(client.createPublisher("orders").publish("x"));
    expect(error).toMatchObject({ name: "BrokerError", code: "redirect", isRetryable: true });
    expect(broker.framesOf("Publish")).toHaveLength(4);
  }, ENGINE_TIMEOUT_MS);

  it("reports a redirected unconfirmed publish and refreshes the catalogue", async () => {
    const { errors, onError } = errorCollector();
    const { broker, client } = await brokerAndClient({ onError });
    broker.answer("TopologyRequest", () => catalogue(2n, [["orders", 1, 2n]]));
    broker.answer("TopologyRequest", () => catalogue(1n, [["orders", 1, 1n]]), 1);
    broker.answer("Publish", () => redirect());
    await client.catalogue();
    await client.createPublisher("orders").publishUnconfirmed("x");
    await broker.waitFor(() => errors.length === 1 && broker.framesOf("TopologyRequest").length === 2);
    expect(errors[0]).toMatchObject({ code: "redirect" });
    expect((await client.catalogue()).generation).toBe(2n);
  }, ENGINE_TIMEOUT_MS);

  it("refreshes the catalogue after a reconnection before the first publish routes", async () => {
    const { broker, client } = await brokerAndClient();
    broker.answer("TopologyRequest", () => catalogue(2n, [["orders", 1, 4n]]));
    broker.answer("TopologyRequest", () => catalogue(1n, [["orders", 1, 1n]]), 1);
    answerPublishes(broker);
    await client.catalogue();
    const publisher = client.createPublisher("orders");
    await publisher.publish("before");
    broker.dropConnections();
    await broker.waitFor(() => !client.isConnected);
    await publisher.publish("after");
    expect(broker.framesOf("Publish").map((frame) => frame.message.routingVersion)).toEqual([1n, 4n]);
    expect(broker.framesOf("TopologyRequest").map((frame) => frame.session.id)).toEqual([1, 2]);
  }, ENGINE_TIMEOUT_MS);
});
