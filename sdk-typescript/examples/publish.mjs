// Publishes to a queue three ways: unconfirmed (fire and forget), confirmed (one round trip,
// returns where the message was stored) and as a batch (one frame, confirmed together).
//
//   SINEW_BROKER=127.0.0.1:7420 node examples/publish.mjs

import { OutgoingMessage, SinewClient } from "@sinew/client";

const broker = process.env["SINEW_BROKER"] ?? "127.0.0.1:7420";
const topic = `examples.publish.${Date.now().toString(36)}`;

const client = await SinewClient.connect({ endpoints: [broker], clientName: "example-publish", connectTimeoutMs: 5000, requestTimeoutMs: 10_000 });
try {
  await client.declareQueue(topic);
  const publisher = client.createPublisher(topic);

  await publisher.publishUnconfirmed("hello, unconfirmed");

  const receipt = await publisher.publish(
    OutgoingMessage.json({ orderId: 1001, total: 42.5 }, { headers: { tenant: "acme" } }),
  );
  console.log(`confirmed: partition ${receipt.partition}, offset ${receipt.offset}`);

  const receipts = await publisher.publishBatch([
    OutgoingMessage.text("first of three"),
    OutgoingMessage.msgpack({ kind: "compact", values: [1, 2, 3] }),
    OutgoingMessage.bytes(new Uint8Array([0xca, 0xfe]), { contentType: "application/octet-stream" }),
  ]);
  console.log(`batch: offsets ${receipts.map((entry) => entry.offset).join(", ")}`);

  await publisher.close();
} finally {
  await client.close();
}
