"""The examples run to completion (exit 0) against the fake broker, so they cannot rot;
against the real broker they run as light integration tests."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from support.fake_broker import FakeBroker

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))


def test_the_examples_are_found() -> None:
    assert {path.name for path in EXAMPLES} >= {
        "publish.py",
        "consume_with_retry.py",
        "confirmed_and_delayed.py",
        "partitions.py",
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
async def test_the_example_exits_zero(example: Path) -> None:
    broker = await FakeBroker().start()
    try:
        source = Path(__file__).resolve().parent.parent / "src"
        environment = {
            **os.environ,
            "SINEW_BROKER": broker.address,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")])),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(example),
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 20)
        assert process.returncode == 0, stderr.decode()
        assert stdout.strip()
    finally:
        await broker.stop()
