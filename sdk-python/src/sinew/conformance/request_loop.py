"""The driver's request loop: one JSON request per line on standard input, one JSON answer
per line on standard output, logs on standard error."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from typing import IO

from sinew.conformance.driver import Driver

__all__ = ["main", "serve"]


async def serve(input_stream: IO[str], output_stream: IO[str], driver: Driver) -> None:
    """Answer requests from `input_stream` one at a time until it ends, then close every
    client."""
    try:
        while True:
            line = await asyncio.to_thread(input_stream.readline)
            if not line:
                break
            if not line.strip():
                continue
            response = await driver.handle_line(line)
            output_stream.write(json.dumps(response, ensure_ascii=False) + "\n")
            output_stream.flush()
    finally:
        await driver.close_everything()


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Requests and answers are UTF-8 whatever the locale says.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="\n")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    try:
        asyncio.run(serve(stdin, stdout, Driver()))
    finally:
        stdout.flush()
