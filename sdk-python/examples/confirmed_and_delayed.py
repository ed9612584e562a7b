"""Confirmed, pipelined and delayed publishing with the blocking API (no asyncio needed).

    SINEW_BROKER=127.0.0.1:7420 python examples/confirmed_and_delayed.py
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta, timezone

from sinew.blocking import OutgoingMessage, SinewClient, SinewClientOptions


def main() -> None:
    options = SinewClientOptions(
        endpoints=os.environ.get("SINEW_BROKER", "127.0.0.1:7420"), request_timeout=10
    )
    queue = f"examples.delayed.{uuid.uuid4().hex[:8]}"
    with SinewClient.connect(options) as client:
        client.declare_queue(queue)
        publisher = client.create_publisher(queue)

        receipt = publisher.publish(OutgoingMessage.from_text("now"))
        print(f"confirmed at partition {receipt.partition}, offset {receipt.offset}")

        # Pipelined: send several, then collect their confirmations.
        pending = [
            publisher.publish_with_confirmation(OutgoingMessage.from_text(f"batch {n}"))
            for n in range(5)
        ]
        print("pipelined offsets:", [confirmation.wait().offset for confirmation in pending])

        sent_at = time.monotonic()
        publisher.publish(OutgoingMessage.from_text("in a second", delay=timedelta(seconds=1)))
        publisher.publish(
            OutgoingMessage.from_text(
                "at a set time", not_before=datetime.now(timezone.utc) + timedelta(seconds=1)
            )
        )
        publisher.publish(OutgoingMessage.from_text("short-lived", ttl=timedelta(minutes=5)))

        expected = {"now", "in a second", "at a set time", "short-lived"} | {
            f"batch {n}" for n in range(5)
        }
        with client.subscribe(queue) as subscription:
            while expected:
                delivery = subscription.receive(timeout=15)
                text = delivery.text()
                waited = time.monotonic() - sent_at
                if text in ("in a second", "at a set time"):
                    print(f"{text!r} arrived {waited:.1f} s after it was published")
                delivery.ack()
                expected.discard(text)
        print("all messages consumed")


if __name__ == "__main__":
    main()
