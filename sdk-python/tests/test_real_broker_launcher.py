"""The launcher behind the real-broker fixtures, exercised with stand-in processes: it reads
the ready line among other output, reports early exits and silence, stops the process with
SIGTERM, and fails (never skips) a test when the broker is not built."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest
from support.real_broker import (
    BROKER_DLL_VARIABLE,
    BUILD_COMMAND,
    BrokerProcess,
    BrokerStartError,
    broker_command,
    missing_broker_message,
    parse_ready_line,
    running_broker,
)

READY = {"event": "ready", "protocol": "127.0.0.1:41000", "http": "127.0.0.1:41001", "pid": 7, "data_dir": "broker-data"}


def _script(body: str) -> list[str]:
    return [sys.executable, "-c", body]


def test_the_ready_line_is_recognised_and_other_lines_are_not() -> None:
    ready = parse_ready_line(json.dumps(READY))
    assert ready is not None
    assert (ready.protocol, ready.http, ready.pid, ready.data_dir) == ("127.0.0.1:41000", "127.0.0.1:41001", 7, "broker-data")
    assert parse_ready_line("info: starting") is None
    assert parse_ready_line('{"event":"listening"}') is None
    assert parse_ready_line("[1, 2]") is None


def test_the_command_uses_free_ports_a_data_dir_and_the_overridable_dll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BROKER_DLL_VARIABLE, "custom-build/sinew-broker.dll")
    command = broker_command(Path("broker-data"))
    assert command == [
        "dotnet", "custom-build/sinew-broker.dll",
        "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", "broker-data",
    ]


def test_a_restart_reuses_the_port_and_options_pass_through() -> None:
    command = broker_command(Path("d"), Path("b.dll"), port=41000, options=["--user", "a:b"])
    assert command[2:4] == ["--listen", "127.0.0.1:41000"] and command[-2:] == ["--user", "a:b"]


def test_a_missing_broker_fails_the_test_with_the_build_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "sinew-broker.dll"
    message = missing_broker_message(missing)
    assert message is not None and BUILD_COMMAND in message and str(missing) in message
    monkeypatch.setenv(BROKER_DLL_VARIABLE, str(missing))
    with pytest.raises(pytest.fail.Exception, match="dotnet build -c Release"):
        with running_broker():
            pass


def test_the_launcher_waits_for_the_ready_line_and_stops_with_sigterm() -> None:
    body = (
        "import json, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
        "print('log: warming up', flush=True)\n"
        f"print(json.dumps({READY!r}), flush=True)\n"
        "time.sleep(30)\n"
    )
    broker = BrokerProcess.start(_script(body), startup_timeout=10)
    assert broker.address == "127.0.0.1:41000"
    assert "log: warming up" in broker.output
    assert broker.stop(timeout=5) == 0


def test_a_process_that_ignores_sigterm_is_killed() -> None:
    body = (
        "import json, signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"print(json.dumps({READY!r}), flush=True)\n"
        "time.sleep(30)\n"
    )
    broker = BrokerProcess.start(_script(body), startup_timeout=10)
    assert broker.stop(timeout=0.3) == -signal.SIGKILL


def test_an_early_exit_is_reported_with_its_error_output() -> None:
    body = "import sys; sys.stderr.write('cannot bind'); sys.exit(3)"
    with pytest.raises(BrokerStartError, match="code 3.*cannot bind"):
        BrokerProcess.start(_script(body), startup_timeout=10)


def test_a_silent_process_fails_after_the_startup_timeout() -> None:
    with pytest.raises(BrokerStartError, match="within 0.3 s"):
        BrokerProcess.start(_script("import time; print('starting', flush=True); time.sleep(30)"),
                            startup_timeout=0.3)
