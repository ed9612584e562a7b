"""Starting sinew-fault-proxy (tools/faultproxy) in front of a real broker, and driving it over
its HTTP control endpoint: cut, half-close, stall, resume, delay, close after N bytes, blackhole,
and the list of its connections. The proxy's README documents the commands.

The proxy is started as `dotnet <sinew-fault-proxy.dll> --target <broker>` (SINEW_FAULT_PROXY_DLL
overrides the dll path) and prints one JSON ready line naming its `listen` and `control`
addresses. It exits when its standard input closes, so it never outlives the test process.

The commands are synchronous HTTP calls to loopback that the proxy answers at once; an asyncio
test may call them directly. `wait_for_connections` blocks until the proxy has seen what it
waits for, so asyncio tests run it with `asyncio.to_thread`.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from support.real_broker import REPOSITORY_ROOT, read_lines

PROXY_DLL_VARIABLE = "SINEW_FAULT_PROXY_DLL"
PROXY_PROJECT = "tools/faultproxy/src/Sinew.FaultProxy"
DEFAULT_PROXY_DLL = REPOSITORY_ROOT / PROXY_PROJECT / "bin/Release/net10.0/sinew-fault-proxy.dll"
STARTUP_TIMEOUT = 30.0
COMMAND_TIMEOUT = 30.0

Direction = Literal["up", "down", "both"]
"""Which way a fault acts, from the client's side: `up` is what it writes, `down` what it reads."""
Scope = Literal["current", "new", "all"]
"""Which connections a fault applies to: open ones, ones accepted later, or both."""


class FaultProxyError(RuntimeError):
    """The proxy did not start, or refused a command."""


@dataclass(frozen=True)
class ProxyFlow:
    """One direction of a proxied connection."""

    state: str
    """`flowing`, `stalled`, `delayed N ms`, `discarding` or `half-closed`."""
    bytes: int
    """Bytes forwarded."""
    read: int
    """Bytes read from the sending side, forwarded or not."""


@dataclass(frozen=True)
class ProxyConnection:
    id: int
    client: str | None
    up: ProxyFlow
    down: ProxyFlow | None


@dataclass(frozen=True)
class ProxyConnections:
    accepted: int
    """Connections accepted since the start: the first connection and every reconnection."""
    open: list[ProxyConnection]


def proxy_dll() -> Path:
    return Path(os.environ.get(PROXY_DLL_VARIABLE) or DEFAULT_PROXY_DLL)


class FaultProxy:
    """A running fault proxy; clients connect to `address` instead of the broker."""

    def __init__(self, process: subprocess.Popen[bytes], ready: dict[str, Any], output: deque[str]):
        self._process = process
        self.address = str(ready["listen"])
        """Where clients connect, `127.0.0.1:PORT`."""
        self.control_address = str(ready["control"])
        self.output = output
        """The last lines the proxy wrote."""

    @classmethod
    def start(cls, target: str, *, startup_timeout: float = STARTUP_TIMEOUT) -> FaultProxy:
        """Starts a proxy forwarding to `target` (`127.0.0.1:PORT`) from a free loopback port;
        fails the test (it does not skip it) when the proxy is not built."""
        dll = proxy_dll()
        if not dll.is_file():
            pytest.fail(
                f"the fault proxy is not built: {dll} does not exist. Build it from the repository "
                f"root with `dotnet build -c Release {PROXY_PROJECT}`, or point "
                f"{PROXY_DLL_VARIABLE} at a built sinew-fault-proxy.dll",
                pytrace=False,
            )
        process = subprocess.Popen(
            ["dotnet", str(dll), "--target", target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        output: deque[str] = deque(maxlen=200)
        lines: queue.Queue[str | None] = queue.Queue()
        for stream, sink in ((process.stdout, lines), (process.stderr, None)):
            threading.Thread(target=read_lines, args=(stream, output, sink), daemon=True).start()
        deadline = time.monotonic() + startup_timeout
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FaultProxyError(f"the fault proxy was not ready within {startup_timeout:g} s: {list(output)!r}")
                try:
                    line = lines.get(timeout=remaining)
                except queue.Empty:
                    continue
                if line is None:
                    raise FaultProxyError(f"the fault proxy exited with code {process.wait()} before it was ready: {list(output)!r}")
                with contextlib.suppress(ValueError):
                    ready = json.loads(line)
                    if isinstance(ready, dict) and ready.get("event") == "ready":
                        return cls(process, ready, output)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()
            raise

    def cut(self, how: Literal["rst", "fin"] = "rst", scope: Scope = "current") -> list[int]:
        """Ends connections towards both peers: a reset (`rst`) or an orderly close (`fin`)."""
        return self._command("cut", how=how, scope=scope)

    def half_close(self, direction: Direction, scope: Scope = "current") -> list[int]:
        """Sends an end of stream one way (`down`: the client reads end of stream); the other way
        keeps flowing."""
        return self._command("half-close", direction=direction, scope=scope)

    def stall(self, direction: Direction = "both", scope: Scope = "current") -> list[int]:
        """Stops forwarding in `direction`; bytes back up in TCP until `resume`."""
        return self._command("stall", direction=direction, scope=scope)

    def resume(self, direction: Direction = "both") -> list[int]:
        """Forwards again what was stalled, on open connections and for new ones."""
        return self._command("resume", direction=direction)

    def delay(self, seconds: float, direction: Direction = "both", scope: Scope = "current") -> list[int]:
        """Holds each chunk for `seconds` before forwarding it (0 ends the delay)."""
        return self._command("delay", ms=round(seconds * 1000), direction=direction, scope=scope)

    def close_after(
        self, count: int, direction: Direction, how: Literal["rst", "fin", "drop"] = "rst", scope: Scope = "current"
    ) -> list[int]:
        """Forwards `count` more bytes in `direction`, then resets, closes or (`drop`) discards
        the rest."""
        return self._command("close-after", bytes=count, direction=direction, how=how, scope=scope)

    def blackhole(self, scope: Scope = "current") -> list[int]:
        """Forwards nothing: open connections discard what they read; new ones get no broker."""
        return self._command("blackhole", scope=scope)

    def reset(self) -> list[int]:
        """Clears the faults waiting for new connections, and lifts stalls and delays."""
        return self._command("reset")

    def connections(self) -> ProxyConnections:
        """The open connections and how many were accepted in all."""
        return self._list(0, 0, 0.0)

    def wait_for_connections(self, *, accepted: int = 0, open: int = 1, timeout: float = 20.0) -> ProxyConnections:
        """Blocks until at least `accepted` connections were accepted in all and `open` are
        open (a reconnect shows as one more accepted); raises TimeoutError after `timeout`."""
        state = self._list(accepted, open, timeout)
        if state.accepted < accepted or len(state.open) < open:
            raise TimeoutError(
                f"the proxy did not see {accepted} connections accepted and {open} open within "
                f"{timeout:g} s (accepted {state.accepted}, open {len(state.open)})"
            )
        return state

    def stop(self) -> None:
        """Closes the proxy's standard input, which makes it exit; kills it after 10 s."""
        if self._process.poll() is None:
            assert self._process.stdin is not None
            with contextlib.suppress(OSError):
                self._process.stdin.close()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def _list(self, accepted: int, open: int, timeout: float) -> ProxyConnections:
        path = f"/connections?accepted={accepted}&open={open}&timeout_ms={round(timeout * 1000)}"
        try:
            body = self._request("GET", path, None, timeout + COMMAND_TIMEOUT)
        except urllib.error.HTTPError as error:
            if error.code != 408:
                raise
            body = json.loads(error.read())
        return ProxyConnections(
            accepted=int(body["accepted"]),
            open=[
                ProxyConnection(
                    id=int(entry["id"]),
                    client=entry["client"],
                    up=ProxyFlow(**entry["up"]),
                    down=None if entry["down"] is None else ProxyFlow(**entry["down"]),
                )
                for entry in body["open"]
            ],
        )

    def _command(self, name: str, **fields: Any) -> list[int]:
        try:
            answer = self._request("POST", f"/{name}", fields, COMMAND_TIMEOUT)
        except urllib.error.HTTPError as error:
            raise FaultProxyError(f"the fault proxy refused {name}: {error.read().decode(errors='replace')}") from error
        return [int(connection) for connection in answer["connections"]]

    def _request(self, method: str, path: str, body: Any, timeout: float) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://{self.control_address}{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())


@contextlib.contextmanager
def running_proxy(target: str) -> Iterator[FaultProxy]:
    """A fault proxy in front of `target`, stopped afterwards."""
    proxy = FaultProxy.start(target)
    try:
        yield proxy
    finally:
        proxy.stop()
