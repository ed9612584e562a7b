"""Starting the real broker for integration tests: the `real_broker` fixture and the
launcher under it.

The broker is started as `dotnet <sinew-broker.dll> --listen 127.0.0.1:0 --http 127.0.0.1:0
--data-dir <fresh directory>` (the dll path can be overridden with SINEW_BROKER_DLL). When
ready it prints one JSON line on stdout:

    {"event":"ready","protocol":"127.0.0.1:PORT","http":"127.0.0.1:PORT","pid":N,"data_dir":"..."}

The launcher waits for that line within a startup timeout, keeps draining the broker's
output so it never blocks on a full pipe, and stops it with SIGTERM (SIGKILL if it does not
exit in time).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

BROKER_DLL_VARIABLE = "SINEW_BROKER_DLL"
REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_BROKER_DLL = (
    REPOSITORY_ROOT / "broker/src/Sinew.Broker.Host/bin/Release/net10.0/sinew-broker.dll"
)
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class BrokerStartError(RuntimeError):
    """The broker exited, or stayed silent, before announcing it was ready."""


@dataclass(frozen=True)
class BrokerReady:
    protocol: str
    """`host:port` of the Sinew protocol listener."""
    http: str
    pid: int
    data_dir: str


def parse_ready_line(line: str) -> BrokerReady | None:
    """The ready announcement, or None for any other output line (logs, blank lines)."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("event") != "ready":
        return None
    return BrokerReady(
        protocol=str(event["protocol"]),
        http=str(event["http"]),
        pid=int(event["pid"]),
        data_dir=str(event["data_dir"]),
    )


def broker_dll() -> Path:
    return Path(os.environ.get(BROKER_DLL_VARIABLE) or DEFAULT_BROKER_DLL)


def broker_command(data_dir: Path, dll: Path | None = None) -> list[str]:
    return [
        "dotnet",
        str(dll or broker_dll()),
        "--listen",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--data-dir",
        str(data_dir),
    ]


class BrokerProcess:
    """A started broker; `address` is its protocol endpoint."""

    def __init__(self, process: asyncio.subprocess.Process, ready: BrokerReady) -> None:
        self.process = process
        self.ready = ready
        self.output: deque[str] = deque(maxlen=200)
        self._drains: list[asyncio.Task[None]] = []

    @property
    def address(self) -> str:
        return self.ready.protocol

    @classmethod
    async def start(cls, command: Sequence[str], *, startup_timeout: float = STARTUP_TIMEOUT) -> BrokerProcess:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None and process.stderr is not None
        seen: list[str] = []
        try:
            async with asyncio.timeout(startup_timeout):
                while True:
                    raw = await process.stdout.readline()
                    if not raw:
                        await process.wait()
                        errors = (await process.stderr.read()).decode(errors="replace").strip()
                        raise BrokerStartError(
                            f"the broker exited with code {process.returncode} before it was ready"
                            f"{': ' + errors[-2000:] if errors else ''}"
                        )
                    line = raw.decode(errors="replace").strip()
                    seen.append(line)
                    ready = parse_ready_line(line)
                    if ready is not None:
                        break
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise BrokerStartError(
                f"the broker did not announce readiness within {startup_timeout:g} s; "
                f"its output: {seen[-20:]!r}"
            ) from None
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise
        started = cls(process, ready)
        started.output.extend(seen)
        started._drains = [
            asyncio.ensure_future(started._drain(process.stdout)),
            asyncio.ensure_future(started._drain(process.stderr)),
        ]
        return started

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while raw := await stream.readline():
            self.output.append(raw.decode(errors="replace").rstrip())

    async def stop(self, *, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        await asyncio.gather(*self._drains, return_exceptions=True)
        code = self.process.returncode
        assert code is not None
        return code


@pytest.fixture
async def real_broker() -> AsyncIterator[BrokerProcess]:
    """A real broker on free ports with a fresh data directory, stopped after the test.

    Skips the test when the broker has not been built (see SINEW_BROKER_DLL).
    """
    dll = broker_dll()
    if not dll.is_file():
        pytest.skip(f"the broker is not built at {dll}; build it or set {BROKER_DLL_VARIABLE}")
    with tempfile.TemporaryDirectory(prefix="sinew-broker-") as data_dir:
        broker = await BrokerProcess.start(broker_command(Path(data_dir), dll))
        try:
            yield broker
        finally:
            await broker.stop()
