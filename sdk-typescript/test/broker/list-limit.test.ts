// Settling more deliveries in one turn than the broker takes in one list (limits.max_list_items,
// protocol section 2.4): the client splits the coalesced settlements into frames within the limit
// the broker announced. This broker takes at most 16 entries per list and refuses any longer Ack,
// Nack or ExtendLease outright, so a batch that was not split fails here.

import { describe, expect, it } from "vitest";
import type { SinewClient } from "../../src/client/sinew-client.js";
import type { Delivery } from "../../src/subscribe/delivery.js";
import type { Subscription } from "../../src/subscribe/subscription.js";
import {
  BROKER_TEST_TIMEOUT_MS,
  connect,
  expectNoDelivery,
  receiveMany,
  uniqueTopic,
  useRealBroker,
} from "../support/real-broker.js";

const LIMIT = 16;
const MESSAGES = 20 * LIMIT;

const broker = useRealBroker({ settings: { "limits.max_list_items": LIMIT, "queues.max_partitions": LIMIT } });

async function hold(what: string): Promise<{ client: SinewClient; subscription: Subscription; deliveries: Delivery[] }> {
  const client = await connect(broker());
  const topic = uniqueTopic(what);
  await client.declareQueue(topic, { leaseMs: 800 });
  const publisher = client.createPublisher(topic);
  for (let start = 0; start < MESSAGES; start += LIMIT) {
    await publisher.publishBatch(Array.from({ length: LIMIT }, (_, i) => `m${start + i}`));
  }
  const subscription = await client.subscribe(topic, { prefetch: MESSAGES });
  return { client, subscription, deliveries: await receiveMany(subscription, MESSAGES) };
}

describe("settlements longer than the broker's list limit", () => {
  it("splits the acks of one turn into frames the broker accepts", async () => {
    const { client, subscription, deliveries } = await hold("split-acks");
    // Issued in one turn, all 320 acks coalesce into one batch; unsplit, the broker would refuse it.
    await Promise.all(deliveries.map((delivery) => delivery.ack()));
    expect(deliveries.every((delivery) => delivery.isSettled)).toBe(true);
    // Settled for real: nothing comes back once the 800 ms leases would have run out.
    await expectNoDelivery(subscription, 1500);
    await client.close();
  }, BROKER_TEST_TIMEOUT_MS);

  it("splits lease extensions and retries the same way", async () => {
    const { client, subscription, deliveries } = await hold("split-nacks");
    await Promise.all(deliveries.map((delivery) => delivery.extendLease(30_000)));
    await Promise.all(deliveries.map((delivery) => delivery.retry()));
    // Every retry was accepted: each message comes back once, as its second attempt.
    const again = await receiveMany(subscription, MESSAGES);
    expect(again.every((delivery) => delivery.attempt === 2)).toBe(true);
    expect(new Set(again.map((delivery) => delivery.text())).size).toBe(MESSAGES);
    await Promise.all(again.map((delivery) => delivery.ack()));
    await client.close();
  }, BROKER_TEST_TIMEOUT_MS);
});
