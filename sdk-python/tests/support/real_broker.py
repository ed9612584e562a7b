"""Starting the real broker for integration tests: the launcher and the fixtures over it.

The broker is started as `dotnet <sinew-broker.dll> --listen 127.0.0.1:<port> --http
127.0.0.1:0 --data-dir <directory> [options]` (SINEW_BROKER_DLL overrides the dll path). When
ready it prints one JSON line on stdout:

    {"event":"ready","protocol":"127.0.0.1:PORT","http":"127.0.0.1:PORT","pid":N,"data_dir":"..."}

The launcher waits for that line within a startup timeout, keeps draining the broker's output
on background threads so it never blocks on a full pipe, and stops it with SIGTERM (SIGKILL
if it does not exit in time). It is synchronous, so one broker can serve every test of a
module whatever event loop each test runs; asyncio tests call the slow parts (stop, restart)
through `asyncio.to_thread`.

A test that needs a broker fails, with the command that builds it, when it has not been
built: a missing broker must not make the integration tests pass by skipping them.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

BROKER_DLL_VARIABLE = "SINEW_BROKER_DLL"
REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
BROKER_PROJECT = "broker/src/Sinew.Broker.Host"
DEFAULT_BROKER_DLL = REPOSITORY_ROOT / BROKER_PROJECT / "bin/Release/net10.0/sinew-broker.dll"
BUILD_COMMAND = f"dotnet build -c Release {BROKER_PROJECT}"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
OUTPUT_LINES_KEPT = 400


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


def missing_broker_message(dll: Path) -> str | None:
    """Why the broker cannot be started, with what to do about it; None when it can."""
    if not dll.is_file():
        return (
            f"the Sinew broker is not built: {dll} does not exist. Build it from the repository "
            f"root with `{BUILD_COMMAND}`, or point {BROKER_DLL_VARIABLE} at a built "
            "sinew-broker.dll"
        )
    if shutil.which("dotnet") is None:
        return "the Sinew broker needs the .NET runtime, but `dotnet` is not on the PATH"
    return None


def broker_command(
    data_dir: Path, dll: Path | None = None, *, port: int = 0, options: Sequence[str] = ()
) -> list[str]:
    return [
        "dotnet",
        str(dll or broker_dll()),
        "--listen",
        f"127.0.0.1:{port}",
        "--http",
        "127.0.0.1:0",
        "--data-dir",
        str(data_dir),
        *options,
    ]


class BrokerProcess:
    """One started broker process; `address` is its protocol endpoint."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        ready: BrokerReady,
        output: deque[str],
        readers: list[threading.Thread],
    ) -> None:
        self.process = process
        self.ready = ready
        self.output = output
        """The last lines the broker wrote, stdout and stderr interleaved."""
        self._readers = readers

    @property
    def address(self) -> str:
        return self.ready.protocol

    @classmethod
    def start(
        cls, command: Sequence[str], *, startup_timeout: float = STARTUP_TIMEOUT
    ) -> BrokerProcess:
        process = subprocess.Popen(
            list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
        assert process.stdout is not None and process.stderr is not None
        output: deque[str] = deque(maxlen=OUTPUT_LINES_KEPT)
        stdout_lines: queue.Queue[str | None] = queue.Queue()
        readers = [
            threading.Thread(
                target=read_lines, args=(process.stdout, output, stdout_lines), daemon=True
            ),
            threading.Thread(target=read_lines, args=(process.stderr, output, None), daemon=True),
        ]
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + startup_timeout
        ready: BrokerReady | None = None
        try:
            while ready is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BrokerStartError(
                        f"the broker did not announce readiness within {startup_timeout:g} s; "
                        f"its output: {list(output)[-20:]!r}"
                    )
                try:
                    line = stdout_lines.get(timeout=remaining)
                except queue.Empty:
                    continue
                if line is None:
                    code = process.wait()
                    for reader in readers:
                        reader.join(timeout=5)
                    errors = "\n".join(output).strip()
                    raise BrokerStartError(
                        f"the broker exited with code {code} before it was ready"
                        f"{': ' + errors[-2000:] if errors else ''}"
                    )
                ready = parse_ready_line(line)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()
            raise
        return cls(process, ready, output, readers)

    def stop(self, *, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGCONT)
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        code = self.process.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def kill(self) -> None:
        """SIGKILL: the process ends at once, its sockets closed by the system."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()

    def freeze(self) -> None:
        """SIGSTOP: the broker stops answering but keeps its connections open."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def read_lines(
    stream: IO[bytes], output: deque[str], lines: queue.Queue[str | None] | None
) -> None:
    try:
        for raw in stream:
            line = raw.decode(errors="replace").rstrip()
            output.append(line)
            if lines is not None:
                lines.put(line)
    finally:
        if lines is not None:
            lines.put(None)


class RealBroker:
    """A broker with its own data directory that can be stopped and started again on the same
    protocol port, as a restart in production would."""

    def __init__(self, data_dir: Path, *, options: Sequence[str] = (), dll: Path | None = None):
        self.data_dir = data_dir
        self.options = tuple(options)
        self.dll = dll or broker_dll()
        self.process: BrokerProcess | None = None
        self.port = 0
        self.exit_codes: list[int] = []

    def start(self) -> RealBroker:
        """Start on the port used before (a free one the first time)."""
        command = broker_command(self.data_dir, self.dll, port=self.port, options=self.options)
        self.process = BrokerProcess.start(command)
        self.port = int(self.process.address.rsplit(":", 1)[1])
        return self

    def stop(self) -> int:
        """Stop gracefully (SIGTERM); returns the exit code, 0 for a clean shutdown."""
        process = self._running()
        code = process.stop()
        self.exit_codes.append(code)
        return code

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        self._running().kill()

    def freeze(self) -> None:
        self._running().freeze()

    def thaw(self) -> None:
        self._running().thaw()

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.process.poll() is None

    @property
    def address(self) -> str:
        return self._running().address

    @property
    def http_address(self) -> str:
        return self._running().ready.http

    @property
    def output(self) -> list[str]:
        return [] if self.process is None else list(self.process.output)

    def _running(self) -> BrokerProcess:
        assert self.process is not None, "the broker was never started"
        return self.process

    # The HTTP admin endpoints

    def http(self, method: str, path: str, body: Any = None) -> Any:
        """Call an HTTP endpoint of the broker and return its decoded JSON (None if empty)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://{self.http_address}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            content = response.read()
        return json.loads(content) if content else None

    def set_dead_letter_target(self, topic: str, group: str | None = None) -> None:
        body: dict[str, str] = {"topic": topic}
        if group is not None:
            body["group"] = group
        self.http("PUT", "/admin/dead-letter-target", body)

    def queue_stats(self, topic: str, group: str | None = None) -> dict[str, Any]:
        """The broker's admin view of one queue (settings and per-partition counters)."""
        for entry in self.http("GET", "/admin/queues"):
            if entry["topic"] == topic and entry["group"] == group:
                return dict(entry)
        raise KeyError((topic, group))


@contextlib.contextmanager
def running_broker(*options: str) -> Iterator[RealBroker]:
    """A broker with a fresh data directory, started with `options` and stopped afterwards;
    fails the test (it does not skip it) when the broker is not built."""
    dll = broker_dll()
    problem = missing_broker_message(dll)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    data_dir = Path(tempfile.mkdtemp(prefix="sinew-broker-"))
    broker = RealBroker(data_dir, options=options, dll=dll)
    try:
        broker.start()
        yield broker
    finally:
        if broker.is_running:
            broker.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


QUICK_SHUTDOWN = ("--set", "shutdown.timeout_ms=1000")
"""Bounds how long a stopping broker waits for connections to finish; tests that stop brokers
keep it short so a stop that hangs fails quickly instead of after the default 10 s."""


@pytest.fixture
def real_broker() -> Iterator[RealBroker]:
    """A broker of the test's own, for tests that stop, restart or reconfigure it."""
    with running_broker(*QUICK_SHUTDOWN) as broker:
        yield broker


@pytest.fixture(scope="module")
def module_broker() -> Iterator[RealBroker]:
    """One broker shared by the tests of a module; tests keep apart by using their own
    queue names (the `queue_name` fixture)."""
    with running_broker() as broker:
        yield broker
