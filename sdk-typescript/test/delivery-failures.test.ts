// What a Delivery says about the message's failures and the queue's retry budget: the fields as
// the broker sent them, their absence from a broker that does not count failures (the bytes of
// the wire vectors, so the client's own encoder plays no part), and when a delivery is the last
// attempt.

import { describe, expect, it } from "vitest";
import type { SinewClient } from "../src/client/sinew-client.js";
import type { Delivery } from "../src/subscribe/delivery.js";
import type { Subscription } from "../src/subscribe/subscription.js";
import type { FakeBroker } from "./support/fake-broker.js";
import { fromHex } from "./support/bytes.js";
import { answerDeclares, answerSubscribes, brokerAndClient, ENGINE_TIMEOUT_MS } from "./support/harness.js";
import { deliver, subscribeOk, topology } from "./support/scripted-replies.js";
import { frameVectorById, isPositive } from "./support/vector-files.js";

function vectorBytes(id: string): Uint8Array {
  const { vector } = frameVectorById(id);
  if (!isPositive(vector)) throw new Error(`${id} is not a positive vector`);
  return fromHex(vector.hex);
}

async function receiveAll(subscription: Subscription, count: number): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  while (deliveries.length < count) deliveries.push(await subscription.receive({ signal: AbortSignal.timeout(3000) }));
  return deliveries;
}

function budgetOf(delivery: Delivery): { failures: number; maxRetries: number | undefined; isLastAttempt: boolean } {
  return { failures: delivery.failures, maxRetries: delivery.maxRetries, isLastAttempt: delivery.isLastAttempt };
}

/** A client subscribed to `orders` under the subscription id `subscriptionId`, one broker subscription for every partition. */
async function subscribedAs(subscriptionId: bigint): Promise<{ broker: FakeBroker; client: SinewClient; subscription: Subscription }> {
  const { broker, client } = await brokerAndClient();
  // A catalogue without the queue: the client opens one broker subscription for all partitions.
  broker.answer("TopologyRequest", () => topology([]));
  broker.answer("Subscribe", () => subscribeOk(subscriptionId, [0, 1, 2, 3]));
  const subscription = await client.subscribe("orders");
  return { broker, client, subscription };
}

describe("Delivery failures and retry budget", () => {
  it("reads failures and maxRetries where the broker sent them, and no failures and no budget where it did not", async () => {
    // deliver/batch-with-headers: subscription 5, the second of three messages carries failures 2 and max_retries 5.
    const { broker, subscription } = await subscribedAs(5n);
    broker.openSessions[0]?.sendBytes(vectorBytes("deliver/batch-with-headers"));
    const deliveries = await receiveAll(subscription, 3);
    expect(deliveries.map(budgetOf)).toEqual([
      { failures: 0, maxRetries: undefined, isLastAttempt: false },
      { failures: 2, maxRetries: 5, isLastAttempt: false },
      { failures: 0, maxRetries: undefined, isLastAttempt: false },
    ]);
  }, ENGINE_TIMEOUT_MS);

  it("reads a Deliver from a broker that does not count failures as no failures, no budget and never the last attempt", async () => {
    // deliver/single: subscription 1, without failures or max_retries.
    const { broker, subscription } = await subscribedAs(1n);
    broker.openSessions[0]?.sendBytes(vectorBytes("deliver/single"));
    const [delivery] = await receiveAll(subscription, 1);
    expect(delivery?.attempt).toBe(1);
    expect(budgetOf(delivery as Delivery)).toEqual({ failures: 0, maxRetries: undefined, isLastAttempt: false });
  }, ENGINE_TIMEOUT_MS);

  it("is the last attempt once the failures reach maxRetries, and only when the broker said maxRetries", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    answerSubscribes(broker);
    await client.declareQueue("orders");
    const subscription = await client.subscribe("orders", { ackMode: "auto" });
    const cases: [number | undefined, number | undefined, boolean][] = [
      [0, 3, false],
      [2, 3, false],
      [3, 3, true],
      [4, 3, true],
      [0, 0, true],
      [7, undefined, false],
      [undefined, 0, true],
    ];
    broker.openSessions[0]?.send(
      deliver(
        1n,
        cases.map(([failures, maxRetries], index) => ({
          deliveryId: BigInt(index + 1),
          payload: "m",
          ...(failures === undefined ? {} : { failures }),
          ...(maxRetries === undefined ? {} : { maxRetries }),
        })),
      ),
    );
    const deliveries = await receiveAll(subscription, cases.length);
    expect(deliveries.map((delivery) => [delivery.failures, delivery.maxRetries, delivery.isLastAttempt])).toEqual(
      cases.map(([failures, maxRetries, last]) => [failures ?? 0, maxRetries, last]),
    );
  }, ENGINE_TIMEOUT_MS);
});
