"""The examples run to completion (exit 0, with output) against the real broker, so they
cannot rot: light integration tests of the documented usage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.real_broker import RealBroker

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((PACKAGE_ROOT / "examples").glob("*.py"))
EXAMPLE_TIME_LIMIT = 20.0


def test_the_examples_are_found() -> None:
    assert {path.name for path in EXAMPLES} >= {
        "publish.py",
        "consume_with_retry.py",
        "confirmed_and_delayed.py",
        "partitions.py",
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_the_example_exits_zero(example: Path, module_broker: RealBroker) -> None:
    environment = {
        **os.environ,
        "SINEW_BROKER": module_broker.address,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PACKAGE_ROOT / "src"), os.environ.get("PYTHONPATH")])
        ),
    }
    finished = subprocess.run(
        [sys.executable, str(example)],
        env=environment,
        capture_output=True,
        timeout=EXAMPLE_TIME_LIMIT,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode()
    assert finished.stdout.strip()
