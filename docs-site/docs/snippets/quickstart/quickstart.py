"""Quickstart: declare a queue, publish a confirmed message, receive it, acknowledge it, close."""

import asyncio
import os
import uuid

from sinew import OutgoingMessage, QueueOptions, SinewClient, SinewClientOptions, SubscribeOptions


async def main() -> None:
    broker = os.environ.get("SINEW_BROKER", "127.0.0.1:7420")
    topic = f"quickstart.{uuid.uuid4().hex}"

    options = SinewClientOptions(endpoints=broker, client_name="quickstart")
    async with SinewClient.connect(options) as client:
        # Declaring is idempotent: it creates the queue, or confirms it exists with these settings.
        await client.declare_queue(topic, QueueOptions(partitions=2))
        print(f"declared queue {topic}")

        # A confirmed publish returns once the broker has the message on disk.
        publisher = client.create_publisher(topic)
        message = OutgoingMessage.from_json({"order_id": 42, "item": "coffee"}, key="customer-7")
        receipt = await publisher.publish(message)
        print(f"published: partition {receipt.partition}, offset {receipt.offset}")

        # One subscription covers every partition; each delivery is settled exactly once.
        async with client.subscribe(topic, SubscribeOptions(prefetch=10)) as subscription:
            delivery = await subscription.receive(timeout=10)
            print(f"received: {delivery.text()} (attempt {delivery.attempt})")
            await delivery.ack()
            print("acknowledged")
    print("closed")


if __name__ == "__main__":
    asyncio.run(main())
