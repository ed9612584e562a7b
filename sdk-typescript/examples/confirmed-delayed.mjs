// Confirmed publishing kept in flight (pipelined), a delayed message, and a reliable publisher
// whose retries the broker deduplicates.
//
//   SINEW_BROKER=127.0.0.1:7420 node examples/confirmed-delayed.mjs

import { OutgoingMessage, SinewClient } from "@sinew/client";

const broker = process.env["SINEW_BROKER"] ?? "127.0.0.1:7420";
const topic = `examples.delayed.${Date.now().toString(36)}`;

const client = await SinewClient.connect({ endpoints: [broker], clientName: "example-confirmed-delayed", connectTimeoutMs: 5000, requestTimeoutMs: 10_000 });
try {
  await client.declareQueue(topic);
  const publisher = client.createPublisher(topic);

  // Send five publishes without waiting for each confirmation, then collect the receipts.
  const confirmations = [];
  for (let index = 0; index < 5; index++) {
    confirmations.push(await publisher.publishWithConfirmation(OutgoingMessage.text(`pipelined ${index}`)));
  }
  const receipts = await Promise.all(confirmations.map((confirmation) => confirmation.receipt));
  console.log(`pipelined: ${receipts.length} confirmed, last offset ${receipts.at(-1)?.offset}`);

  // Stored now, delivered no earlier than half a second from now.
  const sentAt = Date.now();
  await publisher.publish(OutgoingMessage.text("delayed", { delayMs: 500, ttlMs: 60_000 }));

  const reliable = client.createReliablePublisher(topic);
  const receipt = await reliable.publish(OutgoingMessage.text("exactly once"));
  console.log(`reliable: producer ${reliable.producerId}, offset ${receipt.offset}, duplicate ${receipt.duplicate}`);

  const subscription = await client.subscribe(topic, { ackMode: "auto" });
  const deadline = AbortSignal.timeout(10_000);
  for (;;) {
    const delivery = await subscription.receive({ signal: deadline });
    if (delivery === undefined) break;
    if (delivery.text() === "delayed") {
      console.log(`delayed message arrived after ${Date.now() - sentAt} ms`);
      break;
    }
  }
  await subscription.close();
} finally {
  await client.close();
}
