// A subscription's handle, the same in every client: receive() hands out one delivery at a time
// and rejects with ClientClosedError once the caller closed the subscription, buffered counts
// what arrived and was not handed out, isActive and completion follow how the subscription
// ends, and completion never rejects.

import { describe, expect, it } from "vitest";
import { ClientClosedError } from "../../src/errors/client-closed-error.js";
import { SubscriptionEndedError } from "../../src/errors/subscription-ended-error.js";
import { OutgoingMessage } from "../../src/publish/outgoing-message.js";
import { BROKER_TEST_TIMEOUT_MS, connect, eventually, rejectionOf, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();

function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return new Promise((resolve) => setImmediate(() => resolve(settled)));
}

describe("a subscription's handle", () => {
  it("receive() hands out deliveries in order and rejects with ClientClosedError after close", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("receive");
    await client.declareQueue(topic);
    await client.createPublisher(topic).publishBatch(["a", "b", "c"].map((text) => OutgoingMessage.text(text)));

    const subscription = await client.subscribe(topic);
    await eventually(() => (subscription.buffered === 3 ? true : undefined), 10_000, "three deliveries arriving");
    const first = await subscription.receive({ signal: AbortSignal.timeout(10_000) });
    expect(first.text()).toBe("a");
    expect(subscription.buffered).toBe(2);
    await first.ack();
    expect((await subscription.receive({ signal: AbortSignal.timeout(10_000) })).text()).toBe("b");

    expect(subscription.isActive).toBe(true);
    expect(await settledYet(subscription.completion)).toBe(false);
    await subscription.close();
    expect(subscription.isActive).toBe(false);
    await expect(subscription.completion).resolves.toBeUndefined();
    expect(subscription.endReason).toBeUndefined();
    expect(await rejectionOf(subscription.receive())).toBeInstanceOf(ClientClosedError);
  }, BROKER_TEST_TIMEOUT_MS);

  it("completion resolves without rejecting when the client closes, and receive() reports the reason", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("completion");
    await client.declareQueue(topic);
    const subscription = await client.subscribe(topic);
    const receiving = rejectionOf(subscription.receive());

    await client.close();
    await expect(subscription.completion).resolves.toBeUndefined();
    expect(subscription.isActive).toBe(false);
    expect(subscription.endReason).toBe("client_closed");
    const error = await receiving;
    expect(error).toBeInstanceOf(SubscriptionEndedError);
    expect((error as SubscriptionEndedError).reason).toBe("client_closed");
  }, BROKER_TEST_TIMEOUT_MS);

  it("an aborted receive() leaves the subscription open", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("receive-abort");
    await client.declareQueue(topic);
    const subscription = await client.subscribe(topic);

    await expect(subscription.receive({ signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: "TimeoutError" });
    expect(subscription.isActive).toBe(true);
    await client.createPublisher(topic).publish("after");
    expect((await subscription.receive({ signal: AbortSignal.timeout(10_000) })).text()).toBe("after");
    await subscription.close();
  }, BROKER_TEST_TIMEOUT_MS);
});
