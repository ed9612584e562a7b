"""What the package logs: nothing by itself until the application configures logging, and
everything through the `sinew` loggers once it has."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import sinew

SOURCE_ROOT = Path(__file__).resolve().parent.parent / "src"


def _stderr_of(script: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(SOURCE_ROOT)},
        check=True,
    )
    return completed.stderr


def test_the_sinew_logger_has_a_null_handler() -> None:
    handlers = logging.getLogger("sinew").handlers
    assert any(isinstance(handler, logging.NullHandler) for handler in handlers)
    assert sinew.__name__ == "sinew"


def test_nothing_is_printed_when_the_application_did_not_configure_logging() -> None:
    stderr = _stderr_of(
        "import logging, sinew\n"
        "logging.getLogger('sinew.connection').warning('from sinew')\n"
        "logging.getLogger('elsewhere').warning('from elsewhere')\n"
    )
    # Another library's warning reaches logging's last-resort handler; the client's does not.
    assert "from elsewhere" in stderr
    assert "from sinew" not in stderr


def test_records_reach_the_handlers_the_application_configured() -> None:
    stderr = _stderr_of(
        "import logging, sinew\n"
        "logging.basicConfig(format='%(name)s %(message)s')\n"
        "logging.getLogger('sinew.connection').warning('from sinew')\n"
    )
    assert "sinew.connection from sinew" in stderr
