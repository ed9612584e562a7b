// Failures: retry a message until its last attempt, then fail it; read the copy from $dead-letters.
import { OutgoingMessage, SinewClient } from "@sinew/client";

const broker = process.env["SINEW_BROKER"] ?? "127.0.0.1:7420";
const topic = `failures.${crypto.randomUUID()}`;

const client = await SinewClient.connect({ endpoints: [broker], clientName: "failures" });
try {
  // Two retries allowed; the default dead-letter policy sends dead letters to the broker's $dead-letters queue.
  await client.declareQueue(topic, { maxRetries: 2 });
  console.log(`declared queue ${topic}`);
  await client.createPublisher(topic).publish(OutgoingMessage.json({ order: 7 }));

  const signal = AbortSignal.timeout(30_000);
  const subscription = await client.subscribe(topic, { prefetch: 1 });
  for (;;) {
    const delivery = await subscription.receive({ signal });
    if (delivery === undefined) {
      throw new Error("the subscription ended early");
    }
    const progress = `attempt ${delivery.attempt}: failures ${delivery.failures} of ${delivery.maxRetries}`;
    if (!delivery.isLastAttempt) {
      // A retry counts a failure; the reason travels with the message if it is dead-lettered later.
      console.log(`${progress}, retrying`);
      await delivery.retry("payment gateway timed out");
      continue;
    }
    // The next failure would dead-letter it anyway: fail it now, with the reason operators will read.
    console.log(`${progress}, last attempt: failing`);
    await delivery.fail(`gave up after ${delivery.attempt} attempts`);
    break;
  }
  await subscription.close();

  // $dead-letters is shared by every queue with the default policy. Other queues' dead letters are passed over
  // unsettled: they go back to $dead-letters when this subscription closes.
  const deadLetters = await client.subscribe("$dead-letters");
  for (;;) {
    const copy = await deadLetters.receive({ signal });
    if (copy === undefined) {
      throw new Error("the subscription ended early");
    }
    if (copy.headers.get("sinew.dlq.source_topic") !== topic) {
      continue;
    }
    console.log(`dead letter from ${topic}: ${copy.headers.get("sinew.dlq.reason")} (${copy.headers.get("sinew.dlq.error")})`);
    await copy.ack();
    break;
  }
  await deadLetters.close();
} finally {
  await client.close();
  console.log("closed");
}
