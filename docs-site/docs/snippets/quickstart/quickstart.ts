// Quickstart: declare a queue, publish a confirmed message, receive it, acknowledge it, close.
import { OutgoingMessage, SinewClient } from "@sinew/client";

const broker = process.env["SINEW_BROKER"] ?? "127.0.0.1:7420";
const topic = `quickstart.${crypto.randomUUID()}`;

const client = await SinewClient.connect({ endpoints: [broker], clientName: "quickstart" });
try {
  // Declaring is idempotent: it creates the queue, or confirms it exists with these settings.
  await client.declareQueue(topic, { partitions: 2 });
  console.log(`declared queue ${topic}`);

  // A confirmed publish resolves once the broker has the message on disk.
  const publisher = client.createPublisher(topic);
  const receipt = await publisher.publish(OutgoingMessage.json({ orderId: 42, item: "coffee" }, { key: "customer-7" }));
  console.log(`published: partition ${receipt.partition}, offset ${receipt.offset}`);

  // One subscription covers every partition; each delivery is settled exactly once.
  const subscription = await client.subscribe(topic, { prefetch: 10 });
  const delivery = await subscription.receive({ signal: AbortSignal.timeout(10_000) });
  if (delivery === undefined) {
    throw new Error("the subscription ended before the message arrived");
  }
  console.log(`received: ${delivery.text()} (attempt ${delivery.attempt})`);
  await delivery.ack();
  console.log("acknowledged");
  await subscription.close();
} finally {
  await client.close();
  console.log("closed");
}
