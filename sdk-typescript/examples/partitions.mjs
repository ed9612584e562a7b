// A partitioned queue: messages with the same key land on the same partition in order, keyless
// ones are spread round-robin, and one subscription consumes every partition.
//
//   SINEW_BROKER=127.0.0.1:7420 node examples/partitions.mjs

import { OutgoingMessage, SinewClient, partitionForKey } from "@sinew/client";

const broker = process.env["SINEW_BROKER"] ?? "127.0.0.1:7420";
const topic = `examples.partitions.${Date.now().toString(36)}`;
const customers = ["alice", "bob", "carol", "dave", "erin"];

const client = await SinewClient.connect({ endpoints: [broker], clientName: "example-partitions", connectTimeoutMs: 5000, requestTimeoutMs: 10_000 });
try {
  const queue = await client.declareQueue(topic, { partitions: 4 });
  const publisher = client.createPublisher(topic);

  for (let step = 0; step < 3; step++) {
    for (const customer of customers) {
      const receipt = await publisher.publish(OutgoingMessage.json({ customer, step }, { key: customer }));
      if (receipt.partition !== partitionForKey(customer, queue.partitions)) throw new Error(`${customer} went to the wrong partition`);
    }
  }
  const keyless = await publisher.publishBatch(["k0", "k1", "k2", "k3"]);
  console.log(`keyless partitions: ${keyless.map((receipt) => receipt.partition).join(", ")}`);

  const subscription = await client.subscribe(topic);
  console.log(`subscribed to partitions ${subscription.partitions.join(", ")}`);
  const expected = customers.length * 3 + keyless.length;
  /** @type {Map<string, number>} */
  const lastStep = new Map();
  const perPartition = [0, 0, 0, 0];
  const deadline = AbortSignal.timeout(10_000);
  for (let received = 0; received < expected; received++) {
    const delivery = await subscription.receive({ signal: deadline });
    if (delivery === undefined) break;
    perPartition[delivery.partition] = (perPartition[delivery.partition] ?? 0) + 1;
    if (delivery.contentType === "application/json") {
      /** @type {{ customer: string, step: number }} */
      const { customer, step } = delivery.json();
      if (step !== (lastStep.get(customer) ?? -1) + 1) throw new Error(`${customer}'s messages arrived out of order`);
      lastStep.set(customer, step);
    }
    await delivery.ack();
  }
  console.log(`messages per partition: ${perPartition.join(", ")}`);
  await subscription.close();
} finally {
  await client.close();
}
