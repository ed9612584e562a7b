"""Failures: retry a message until its last attempt, then fail it; read the copy from $dead-letters."""

import asyncio
import os
import uuid

from sinew import OutgoingMessage, QueueOptions, SinewClient, SinewClientOptions, SubscribeOptions


async def main() -> None:
    broker = os.environ.get("SINEW_BROKER", "127.0.0.1:7420")
    topic = f"failures.{uuid.uuid4().hex}"

    async with SinewClient.connect(SinewClientOptions(endpoints=broker, client_name="failures")) as client:
        # Two retries allowed; the default dead-letter policy sends dead letters to the broker's $dead-letters queue.
        await client.declare_queue(topic, QueueOptions(max_retries=2))
        print(f"declared queue {topic}")
        await client.create_publisher(topic).publish(OutgoingMessage.from_json({"order": 7}))

        async with client.subscribe(topic, SubscribeOptions(prefetch=1)) as subscription:
            while True:
                delivery = await subscription.receive(timeout=30)
                progress = f"attempt {delivery.attempt}: failures {delivery.failures} of {delivery.max_retries}"
                if not delivery.is_last_attempt:
                    # A retry counts a failure; the reason travels with the message if it is dead-lettered later.
                    print(f"{progress}, retrying")
                    await delivery.retry("payment gateway timed out")
                    continue
                # The next failure would dead-letter it anyway: fail it now, with the reason operators will read.
                print(f"{progress}, last attempt: failing")
                await delivery.fail(f"gave up after {delivery.attempt} attempts")
                break

        # $dead-letters is shared by every queue with the default policy. Other queues' dead letters are passed over
        # unsettled: they go back to $dead-letters when this subscription closes.
        async with client.subscribe("$dead-letters") as dead_letters:
            while True:
                copy = await dead_letters.receive(timeout=30)
                if copy.headers.get("sinew.dlq.source_topic") != topic:
                    continue
                print(f"dead letter from {topic}: {copy.headers['sinew.dlq.reason']} ({copy.headers['sinew.dlq.error']})")
                await copy.ack()
                break
    print("closed")


if __name__ == "__main__":
    asyncio.run(main())
