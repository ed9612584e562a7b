"""Consume with manual acknowledgement: ack what worked, retry what may work later, and
fail what never will (it is dead-lettered with the reason).

    SINEW_BROKER=127.0.0.1:7420 python examples/consume_with_retry.py
"""

from __future__ import annotations

import asyncio
import os
import uuid

from sinew import (
    DeadLetterPolicy,
    OutgoingMessage,
    QueueOptions,
    SinewClient,
    SinewClientOptions,
    SubscribeOptions,
)


async def main() -> None:
    options = SinewClientOptions(
        endpoints=os.environ.get("SINEW_BROKER", "127.0.0.1:7420"), request_timeout=10
    )
    queue = f"examples.work.{uuid.uuid4().hex[:8]}"
    async with SinewClient.connect(options) as client:
        await client.declare_queue(
            queue, QueueOptions(max_retries=3, lease=30, dead_letter=DeadLetterPolicy.discard())
        )
        publisher = client.create_publisher(queue)
        for job in ("resize photo", "flaky upload", "corrupt file"):
            await publisher.publish(OutgoingMessage.from_text(job))

        unfinished = {"resize photo", "flaky upload", "corrupt file"}
        async with client.subscribe(queue, SubscribeOptions(prefetch=10)) as subscription:
            while unfinished:
                delivery = await subscription.receive(timeout=15)
                job = delivery.text()
                if job == "flaky upload" and delivery.attempt == 1:
                    print(f"{job!r}: attempt {delivery.attempt} failed, retrying in 0.5 s")
                    await delivery.retry_after(0.5, "upload timed out")
                elif job == "corrupt file":
                    print(f"{job!r}: cannot be processed, dead-lettering it")
                    await delivery.fail("checksum mismatch")
                    unfinished.discard(job)
                else:
                    print(f"{job!r}: done on attempt {delivery.attempt}")
                    await delivery.ack()
                    unfinished.discard(job)


if __name__ == "__main__":
    asyncio.run(main())
