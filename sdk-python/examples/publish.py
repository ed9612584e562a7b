"""Publish to a queue: confirmed and unconfirmed, with the payload helpers.

    SINEW_BROKER=127.0.0.1:7420 python examples/publish.py
"""

from __future__ import annotations

import asyncio
import os
import uuid

from sinew import OutgoingMessage, SinewClient, SinewClientOptions


async def main() -> None:
    options = SinewClientOptions(
        endpoints=os.environ.get("SINEW_BROKER", "127.0.0.1:7420"), request_timeout=10
    )
    queue = f"examples.publish.{uuid.uuid4().hex[:8]}"
    async with SinewClient.connect(options) as client:
        await client.declare_queue(queue)
        publisher = client.create_publisher(queue)

        # Confirmed: returns once the broker has the message on disk.
        receipt = await publisher.publish(OutgoingMessage.from_text("hello, sinew"))
        print(f"text    -> partition {receipt.partition}, offset {receipt.offset}")

        order = {"id": 42, "items": ["tea", "scones"]}
        receipt = await publisher.publish(
            OutgoingMessage.from_json(order, headers={"tenant": "acme"})
        )
        print(f"json    -> partition {receipt.partition}, offset {receipt.offset}")

        receipt = await publisher.publish(OutgoingMessage.from_msgpack({"id": 43}))
        print(f"msgpack -> partition {receipt.partition}, offset {receipt.offset}")

        receipt = await publisher.publish(
            OutgoingMessage(b"\x08\x2a", content_type="application/x-protobuf")
        )
        print(f"custom  -> partition {receipt.partition}, offset {receipt.offset}")

        # Unconfirmed: fastest, and failures only reach SinewClientOptions.on_error.
        for n in range(3):
            await publisher.publish_unconfirmed(OutgoingMessage.from_text(f"tick {n}"))
        print("sent 3 unconfirmed messages")


if __name__ == "__main__":
    asyncio.run(main())
