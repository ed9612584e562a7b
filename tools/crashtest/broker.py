"""The broker under test as a child process: start it on loopback, stop it with a signal, read
its statistics over HTTP and scan its log for error lines.

Every broker started here is remembered until it has exited, so that `kill_all` (run on exit,
on Ctrl-C and on SIGTERM) leaves no broker behind.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import re
import signal
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_LIVE: dict[int, asyncio.subprocess.Process] = {}


def kill_all() -> None:
    """SIGKILL every broker this process started that may still run."""
    for pid in list(_LIVE):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        _LIVE.pop(pid, None)


atexit.register(kill_all)


class BrokerFailure(Exception):
    """The broker did not do what the test needs (start, stop, answer) in time."""


@dataclass
class LogLine:
    file: str
    number: int
    text: str


@dataclass
class LogScan:
    errors: list[LogLine] = field(default_factory=list)
    warnings: list[LogLine] = field(default_factory=list)
    recovered: list[LogLine] = field(default_factory=list)
    """`Recovered partition ...` lines: the state each partition came back with."""


# The broker logs with the .NET simple console formatter on one line per entry:
# `2026-01-01T00:00:00.000Z fail: Sinew.Broker[1002] A timer of partition ...`.
_LEVEL = re.compile(r"^\S+ (trce|dbug|info|warn|fail|crit): ")


def error_kind(text: str) -> str:
    """A log line without its time, partition number and stack trace, so that alike lines
    count together."""
    text = text.split(" ", 1)[-1]
    text = re.sub(r"partition \d+", "partition N", text)
    return re.sub(r"\s+at .*", "", text)[:200]


def scan_log(path: Path) -> LogScan:
    scan = LogScan()
    if not path.exists():
        return scan
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, raw in enumerate(lines, 1):
            text = raw.rstrip("\n")
            match = _LEVEL.match(text)
            level = match.group(1) if match else None
            line = LogLine(path.name, number, text)
            if level in ("fail", "crit") or text.startswith("Unhandled exception"):
                scan.errors.append(line)
            elif level == "warn":
                scan.warnings.append(line)
            elif level == "info" and "Recovered partition" in text:
                scan.recovered.append(line)
    return scan


class BrokerProcess:
    """One data directory, run by successive broker processes ("incarnations")."""

    def __init__(self, dll: Path, data_dir: Path, log_dir: Path, settings: list[str]) -> None:
        self.dll = dll
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.settings = settings
        self.incarnation = 0
        self.protocol: str | None = None
        self.http: str | None = None
        self.log_paths: list[Path] = []
        self._process: asyncio.subprocess.Process | None = None
        self._stdout_drain: asyncio.Task[None] | None = None
        self._stopping = False
        self.unexpected_exits: list[str] = []

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def exited_unexpectedly(self) -> bool:
        """The current process ended without being told to."""
        return self._process is not None and self._process.returncode is not None and not self._stopping

    async def start(self, ready_timeout: float) -> None:
        if self.running:
            raise BrokerFailure("start() while a broker process is still running")
        self.incarnation += 1
        log_path = self.log_dir / f"broker-{self.incarnation:02d}.log"
        self.log_paths.append(log_path)
        arguments = [
            str(self.dll),
            "--listen", "127.0.0.1:0",
            "--http", "127.0.0.1:0",
            "--data-dir", str(self.data_dir),
        ]
        for setting in self.settings:
            arguments += ["--set", setting]
        with log_path.open("wb") as log:
            # Its own process group: a Ctrl-C in the terminal reaches this script, which then
            # stops the broker itself, instead of reaching the broker directly.
            process = await asyncio.create_subprocess_exec(
                "dotnet", *arguments,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        _LIVE[process.pid] = process
        self._process = process
        self._stopping = False
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), ready_timeout)
        except TimeoutError:
            await self._kill_quietly()
            raise BrokerFailure(
                f"broker incarnation {self.incarnation} printed no ready line within "
                f"{ready_timeout:g} s; log tail:\n{tail(log_path)}"
            ) from None
        if not line:
            await self._kill_quietly()
            raise BrokerFailure(
                f"broker incarnation {self.incarnation} exited before it was ready "
                f"(exit code {process.returncode}); log tail:\n{tail(log_path)}"
            )
        try:
            ready = json.loads(line)
            self.protocol = str(ready["protocol"])
            self.http = str(ready["http"])
        except (ValueError, KeyError) as error:
            await self._kill_quietly()
            raise BrokerFailure(f"unexpected first line from the broker: {line!r}") from error
        self._stdout_drain = asyncio.create_task(_drain(process.stdout))

    async def stop(self, sig: signal.Signals, timeout: float) -> int | None:
        """Send `sig` and wait for the exit; returns the exit code. A broker that outlives
        `timeout` is killed and BrokerFailure raised."""
        process = self._process
        if process is None or process.returncode is not None:
            return None if process is None else process.returncode
        self._stopping = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, sig)
        try:
            code = await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            await self._kill_quietly()
            raise BrokerFailure(
                f"broker incarnation {self.incarnation} (pid {process.pid}) did not exit within "
                f"{timeout:g} s of {sig.name}"
            ) from None
        finally:
            _LIVE.pop(process.pid, None)
        await self._finish_drain()
        return code

    async def note_unexpected_exit(self) -> None:
        """Records an exit nobody asked for (a broker crash on its own)."""
        assert self._process is not None
        code = await self._process.wait()
        _LIVE.pop(self._process.pid, None)
        self._stopping = True
        self.unexpected_exits.append(
            f"incarnation {self.incarnation} (pid {self._process.pid}) exited by itself with code {code}"
        )
        await self._finish_drain()

    async def queue_stats(self, timeout: float = 5.0) -> list[dict[str, Any]] | None:
        """`GET /admin/queues`, or None when the broker does not answer in time."""
        if self.http is None or not self.running:
            return None
        url = f"http://{self.http}/admin/queues"

        def fetch() -> list[dict[str, Any]]:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return list(json.load(response))

        try:
            return await asyncio.wait_for(asyncio.to_thread(fetch), timeout + 1)
        except (OSError, ValueError, TimeoutError):
            return None

    async def _kill_quietly(self) -> None:
        process = self._process
        if process is None:
            return
        self._stopping = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 10)
        _LIVE.pop(process.pid, None)
        await self._finish_drain()

    async def kill_if_running(self) -> None:
        if self.running:
            await self._kill_quietly()

    async def _finish_drain(self) -> None:
        drain, self._stdout_drain = self._stdout_drain, None
        if drain is not None:
            await asyncio.wait({drain}, timeout=2)
            drain.cancel()


async def _drain(stream: asyncio.StreamReader) -> None:
    with contextlib.suppress(Exception):
        while await stream.read(65536):
            pass


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def partition_summary(stats: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Per queue, the partitions that still hold something, from `/admin/queues`."""
    if stats is None:
        return {"unavailable": True}
    summary: dict[str, Any] = {}
    for queue in stats:
        for partition in queue.get("partition_stats") or []:
            if partition.get("unsettled") or partition.get("quarantine"):
                summary.setdefault(queue["topic"], []).append(
                    {k: partition.get(k) for k in ("index", "unsettled", "ready", "delayed", "inflight", "quarantine")}
                )
    return summary


def total_unsettled(stats: list[dict[str, Any]] | None) -> int | None:
    if stats is None:
        return None
    total = 0
    for queue in stats:
        if queue.get("partition_stats") is None:
            # Not loaded since the start: nothing has used it, so its state is unknown here.
            continue
        for partition in queue["partition_stats"]:
            total += int(partition.get("unsettled") or 0)
    return total


def wall_ms() -> int:
    return time.time_ns() // 1_000_000
