"""Test-run plumbing: a per-test time limit, test ordering, the wire-vector summary and the
real-broker fixtures (`real_broker` per test, `module_broker` per module).

The summary is one line at the end of the terminal output, and also a file in the directory
named by SINEW_TEST_SUMMARY_DIR when that is set, where the build collects every language's.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Generator
from pathlib import Path
from types import FrameType

import pytest
from support.real_broker import module_broker, real_broker
from vector_support import TALLY, registry

# The fixtures that start the real broker, available to every test.
__all__ = ["module_broker", "real_broker"]

TIMEOUT_OPTION = "sinew_test_timeout"
SUMMARY_DIR_VARIABLE = "SINEW_TEST_SUMMARY_DIR"
SUMMARY_FILE_NAME = "wire-vectors-python.txt"


class TestTimedOut(Exception):
    """A test ran past its time limit."""

    __test__ = False


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(TIMEOUT_OPTION, "time limit per test in seconds; 0 disables it", default="0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Coverage guards judge what the other tests did, so they go last.
    items.sort(key=lambda item: item.get_closest_marker("run_last") is not None)


def pytest_deselected(items: list[pytest.Item]) -> None:
    TALLY.deselected_tests += len(items)


def _time_limit(item: pytest.Item) -> float:
    # A CPU-bound test may raise its own limit with @pytest.mark.time_limit(seconds).
    marker = item.get_closest_marker("time_limit")
    if marker is not None:
        return float(marker.args[0])
    return float(item.config.getini(TIMEOUT_OPTION) or 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    seconds = _time_limit(item)
    # SIGALRM only exists on POSIX and only reaches the main thread; elsewhere tests run
    # without a limit.
    on_main_thread = threading.current_thread() is threading.main_thread()
    if seconds <= 0 or not hasattr(signal, "setitimer") or not on_main_thread:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TestTimedOut(f"{item.nodeid} ran longer than {seconds:g} s ({TIMEOUT_OPTION})")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _summary_line() -> str:
    return TALLY.summary_line(total_ops=len(registry()["ops"]))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(_summary_line())


def pytest_sessionfinish(session: pytest.Session) -> None:
    directory = os.environ.get(SUMMARY_DIR_VARIABLE)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / SUMMARY_FILE_NAME).write_text(_summary_line() + "\n", encoding="utf-8")
