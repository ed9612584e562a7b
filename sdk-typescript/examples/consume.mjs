// Consumes with manual acknowledgement: every order is acked once handled, and an order that
// fails on its first attempt is retried, then handled on its second delivery.
//
//   SINEW_BROKER=127.0.0.1:7420 node examples/consume.mjs

import { OutgoingMessage, SinewClient } from "@sinew/client";

const broker = process.env["SINEW_BROKER"] ?? "127.0.0.1:7420";
const topic = `examples.consume.${Date.now().toString(36)}`;

const client = await SinewClient.connect({ endpoints: [broker], clientName: "example-consume", connectTimeoutMs: 5000, requestTimeoutMs: 10_000 });
try {
  await client.declareQueue(topic, { maxRetries: 3 });
  const publisher = client.createPublisher(topic);
  for (const order of [{ id: 1 }, { id: 2, flaky: true }, { id: 3 }]) {
    await publisher.publish(OutgoingMessage.json(order));
  }

  const subscription = await client.subscribe(topic, { prefetch: 10 });
  const handled = new Set();
  // Bounded: give up if the orders have not all been handled within ten seconds.
  const deadline = AbortSignal.timeout(10_000);
  while (handled.size < 3) {
    const delivery = await subscription.receive({ signal: deadline });
    if (delivery === undefined) break;
    /** @type {{ id: number, flaky?: boolean }} */
    const order = delivery.json();
    if (order.flaky === true && delivery.attempt === 1) {
      console.log(`order ${order.id}: failed on attempt ${delivery.attempt}, retrying`);
      await delivery.retry();
      continue;
    }
    console.log(`order ${order.id}: handled on attempt ${delivery.attempt}`);
    handled.add(order.id);
    await delivery.ack();
  }
  await subscription.close();
} finally {
  await client.close();
}
