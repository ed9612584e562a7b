"""The conformance driver, driven the way the conformance runner drives it: a child process
(`python -m sinew.conformance`) answering one JSON line per request on stdout, with
the real broker named by SINEW_BROKER."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.real_broker import RealBroker

from sinew import __version__
from sinew.routing import partition_for_key

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
DRIVERS_MD = PACKAGE_ROOT.parent / "conformance" / "DRIVERS.md"
ERROR_TYPES = {
    "BrokerError",
    "ConnectionError",
    "ConnectionLostError",
    "ClientClosedError",
    "OperationTimeoutError",
    "InvalidArgumentError",
    "ProtocolError",
    "SubscriptionEndedError",
    "Unexpected",
}


class DriverProcess:
    """The driver as a child process, spoken to one request at a time."""

    def __init__(self, broker: str) -> None:
        environment = {
            **os.environ,
            "SINEW_BROKER": broker,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(PACKAGE_ROOT / "src"), os.environ.get("PYTHONPATH")])
            ),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sinew.conformance"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            text=True,
            encoding="utf-8",
        )
        self._next_id = 1

    def send_line(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "the driver closed its output"
        response = json.loads(answer)
        assert isinstance(response, dict)
        return response

    def request(self, step: str, **arguments: Any) -> dict[str, Any]:
        request_id = self._next_id
        self._next_id += 1
        response = self.send_line(json.dumps({"id": request_id, "step": step, **arguments}))
        assert response["id"] == request_id
        return response

    def ok(self, step: str, **arguments: Any) -> dict[str, Any]:
        response = self.request(step, **arguments)
        assert response.get("ok") is True, response
        result = response["result"]
        assert isinstance(result, dict)
        return result

    def error(self, step: str, **arguments: Any) -> dict[str, Any]:
        response = self.request(step, **arguments)
        assert response.get("ok") is False, response
        error = response["error"]
        assert error["type"] in ERROR_TYPES
        assert isinstance(error["code"], str) and isinstance(error["retryable"], bool)
        assert isinstance(error["message"], str) and error["message"]
        return dict(error)

    def finish(self) -> tuple[int, str, str]:
        """Close stdin, as the runner does at the end, and collect the exit."""
        stdout, stderr = self.process.communicate(timeout=15)
        return self.process.returncode, stdout, stderr


@pytest.fixture(scope="module")
def driver(module_broker: RealBroker) -> Iterator[DriverProcess]:
    process = DriverProcess(module_broker.address)
    try:
        yield process
    finally:
        if process.process.poll() is None:
            process.finish()


@pytest.fixture(autouse=True)
def _fresh_handles(driver: DriverProcess) -> None:
    assert driver.ok("reset") == {}


def test_describe_names_the_client_its_version_and_every_step(driver: DriverProcess) -> None:
    described = driver.ok("describe")
    assert (described["client"], described["version"]) == ("python", __version__)
    steps_table = DRIVERS_MD.read_text(encoding="utf-8").split("## Steps", 1)[1].split("\n\n")[1]
    first_cells = [row.split("|")[1] for row in steps_table.splitlines() if row.startswith("| `")]
    specified = {name for cell in first_cells for name in re.findall(r"`([a-z_]+)`", cell)}
    assert {"describe", "ack", "retry", "subscription_end", "topology"} <= specified
    assert set(described["steps"]) == specified


def test_a_round_trip_through_the_real_broker(driver: DriverProcess, queue_name: str) -> None:
    assert driver.ok("connect", client="c")["server_id"]
    declared = driver.ok("declare_queue", client="c", topic=queue_name, partitions=2, max_retries=3,
                         lease_ms=5000, dead_letter={"kind": "queue", "topic": f"{queue_name}.dlq"})
    assert declared == {
        "created": True, "partitions": 2, "max_retries": 3, "default_ttl_ms": None, "lease_ms": 5000,
        "dead_letter": {"kind": "queue", "topic": f"{queue_name}.dlq", "group": None},
    }
    assert driver.ok("create_publisher", client="c", publisher="p", topic=queue_name) == {}
    receipt = driver.ok("publish", publisher="p", message={
        "payload": {"text": "héllo"}, "headers": {"tenant": "acme"}, "key": "customer-7",
    })
    assert receipt == {"partition": partition_for_key("customer-7", 2), "offset": "0", "duplicate": False}
    assert driver.ok("publish", publisher="p", mode="unconfirmed",
                     message={"payload": {"json": {"n": 1}}, "key": "customer-7"}) == {}
    pipelined = driver.ok("publish", publisher="p", mode="pipelined",
                          message={"payload": {"base64": base64.b64encode(b"\xff\x00").decode()},
                                   "key": "customer-7"})
    assert pipelined["offset"] == "2"
    assert driver.ok("subscribe", client="c", subscription="s", topic=queue_name, prefetch=10) == {}
    first = driver.ok("receive", subscription="s", delivery="d1")
    assert first["payload_text"] == "héllo" and first["payload_base64"] == base64.b64encode("héllo".encode()).decode()
    assert first["content_type"] == "text/plain; charset=utf-8" and first["headers"] == {"tenant": "acme"}
    assert (first["offset"], first["partition"], first["attempt"]) == ("0", receipt["partition"], 1)
    assert first["published_at_ms"] > 0 and first["received_at_ms"] >= first["published_at_ms"] - 1000
    second = driver.ok("receive", subscription="s", delivery="d2", timeout_ms=5000)
    assert (second["payload_text"], second["content_type"]) == ('{"n":1}', "application/json")
    third = driver.ok("receive", subscription="s", delivery="d3")
    assert third["payload_text"] is None and third["content_type"] is None
    assert driver.ok("ack", delivery="d1") == {}
    assert driver.ok("extend_lease", delivery="d2", by_ms=10_000) == {}
    assert driver.ok("retry", delivery="d2", reason="busy") == {}
    assert driver.ok("receive", subscription="s", delivery="d2again")["attempt"] == 2
    assert driver.ok("retry_after", delivery="d2again", delay_ms=50, reason="still busy") == {}
    assert driver.ok("receive", subscription="s", delivery="d2third")["attempt"] == 3
    assert driver.ok("ack", delivery="d2third") == {}
    assert driver.ok("fail", delivery="d3", reason="unreadable") == {}
    assert driver.ok("receive_none", subscription="s", within_ms=200) == {}
    assert driver.ok("unsubscribe", subscription="s") == {}
    assert driver.ok("subscribe", client="c", subscription="dlq", topic=f"{queue_name}.dlq") == {}
    dead = driver.ok("receive", subscription="dlq", delivery="dead")
    assert dead["headers"]["sinew.dlq.reason"] == "terminal_nack"
    assert dead["headers"]["sinew.dlq.error"] == "unreadable"
    queues = driver.ok("topology", client="c")["queues"]
    assert {"topic": queue_name, "group": None, "partitions": 2} in queues
    assert driver.ok("close_client", client="c") == {}


def test_many_publishes_pipelined_batched_and_reliable(driver: DriverProcess, queue_name: str) -> None:
    driver.ok("connect", client="c")
    driver.ok("declare_queue", client="c", topic=queue_name)
    driver.ok("create_publisher", client="c", publisher="p", topic=queue_name)
    messages = [{"payload": {"text": f"m{n}"}} for n in range(5)]
    pipelined = driver.ok("publish_many", publisher="p", messages=messages, mode="pipelined")
    assert [r["offset"] for r in pipelined["receipts"]] == ["0", "1", "2", "3", "4"]
    batch = driver.ok("publish_many", publisher="p", messages=messages, mode="batch")
    assert [r["offset"] for r in batch["receipts"]] == ["5", "6", "7", "8", "9"]
    reliable = driver.ok("reliable_publish", client="c", topic=queue_name, messages=messages[:2])
    assert [(r["offset"], r["duplicate"]) for r in reliable["receipts"]] == [("10", False), ("11", False)]
    # The same producer id and sequence twice: the second publish is answered with the stored copy.
    idempotent = {"producer_id": "driver-tests", "first_sequence": 5, "messages": messages[:1]}
    first = driver.ok("reliable_publish", client="c", topic=queue_name, **idempotent)
    again = driver.ok("reliable_publish", client="c", topic=queue_name, **idempotent)
    assert [(r["offset"], r["duplicate"]) for r in first["receipts"]] == [("12", False)]
    assert [(r["offset"], r["duplicate"]) for r in again["receipts"]] == [("12", True)]


def test_delays_ttls_and_content_type_overrides_reach_the_broker(driver: DriverProcess, queue_name: str) -> None:
    driver.ok("connect", client="c")
    driver.ok("declare_queue", client="c", topic=queue_name,
              dead_letter={"kind": "queue", "topic": f"{queue_name}.dlq", "group": "ops"})
    driver.ok("create_publisher", client="c", publisher="p", topic=queue_name)
    driver.ok("subscribe", client="c", subscription="s", topic=queue_name, ack_mode="auto")
    driver.ok("publish", publisher="p", message={"payload": {"text": "later"}, "delay_ms": 300})
    driver.ok("publish", publisher="p", message={"payload": {"json": [1], "content_type": "application/vnd.x+json"}})
    now = driver.ok("receive", subscription="s", delivery="a")
    assert (now["payload_text"], now["content_type"]) == ("[1]", "application/vnd.x+json")
    later = driver.ok("receive", subscription="s", delivery="b")
    assert later["payload_text"] == "later"
    driver.ok("unsubscribe", subscription="s")
    driver.ok("declare_queue", client="c", topic=f"{queue_name}.dlq", group="ops")
    driver.ok("publish", publisher="p", message={"payload": {"text": "perishable"}, "ttl_ms": 100})
    driver.ok("publish", publisher="p", message={"payload": {"text": "at"}, "not_before_at_ms": 0})
    driver.ok("subscribe", client="c", subscription="dead", topic=f"{queue_name}.dlq", group="ops")
    dead = driver.ok("receive", subscription="dead", delivery="x", timeout_ms=5000)
    assert dead["payload_text"] == "perishable" and dead["headers"]["sinew.dlq.reason"] == "expired"


def test_the_catalogue_steps_report_the_catalogue_and_the_change_another_client_makes(
    driver: DriverProcess, queue_name: str
) -> None:
    driver.ok("connect", client="watcher")
    driver.ok("connect", client="declarer")
    assert driver.ok("catalogue", client="watcher")["generation"].isdigit()
    assert driver.error("next_catalogue_change", client="watcher", timeout_ms=100)["type"] == "OperationTimeoutError"
    driver.ok("declare_queue", client="declarer", topic=queue_name, partitions=3)
    expected = {"topic": queue_name, "group": None, "partitions": 3, "routing_version": "1"}
    change = driver.ok("next_catalogue_change", client="watcher", timeout_ms=5000)
    assert expected in change["added"] and change["removed"] == []
    assert expected in driver.ok("catalogue", client="watcher")["queues"]


def test_a_step_the_driver_does_not_know_is_answered_as_unsupported(driver: DriverProcess) -> None:
    response = driver.request("subscribe_stream", client="c", topic="events")
    assert set(response) == {"id", "unsupported"} and "subscribe_stream" in response["unsupported"]


def test_errors_are_reported_with_their_type_code_and_flag(driver: DriverProcess, queue_name: str) -> None:
    driver.ok("connect", client="c")
    driver.ok("declare_queue", client="c", topic=queue_name, partitions=1)
    conflict = driver.error("declare_queue", client="c", topic=queue_name, partitions=2)
    assert (conflict["type"], conflict["code"], conflict["retryable"]) == ("BrokerError", "conflict", False)
    assert conflict["broker_code"] == 9 and conflict["details"]["field"] == "partitions"
    invalid = driver.error("declare_queue", client="c", topic="has space")
    assert (invalid["type"], invalid["code"], invalid["argument"], invalid["reason"]) == (
        "InvalidArgumentError", "invalid_argument", "topic", "whitespace",
    )
    driver.ok("create_publisher", client="c", publisher="p", topic=f"{queue_name}.missing")
    missing = driver.error("publish", publisher="p", message={"payload": {"text": "x"}})
    assert (missing["type"], missing["code"]) == ("BrokerError", "not_found")
    reserved = driver.error("publish", publisher="p", message={"payload": {"text": "x"}, "headers": {"sinew.x": "1"}})
    assert (reserved["type"], reserved["reason"]) == ("InvalidArgumentError", "reserved_prefix")
    driver.ok("subscribe", client="c", subscription="s", topic=queue_name)
    timeout = driver.error("receive", subscription="s", delivery="d", timeout_ms=100)
    assert (timeout["type"], timeout["code"], timeout["retryable"]) == ("OperationTimeoutError", "timeout", True)
    not_ending = driver.error("subscription_end", subscription="s", timeout_ms=100)
    assert not_ending["type"] == "OperationTimeoutError"
    unknown = driver.error("ack", delivery="never-received")
    assert (unknown["type"], unknown["code"]) == ("Unexpected", "unexpected")
    assert "never-received" in unknown["message"]
    refused = driver.error("connect", client="x", endpoint="127.0.0.1:1")
    assert (refused["type"], refused["code"], refused["retryable"]) == ("ConnectionError", "connection_failed", True)


def test_a_delivery_during_receive_none_is_reported_as_unexpected(driver: DriverProcess, queue_name: str) -> None:
    driver.ok("connect", client="c")
    driver.ok("declare_queue", client="c", topic=queue_name)
    driver.ok("create_publisher", client="c", publisher="p", topic=queue_name)
    driver.ok("publish", publisher="p", message={"payload": {"text": "surprise"}})
    driver.ok("subscribe", client="c", subscription="s", topic=queue_name)
    arrived = driver.error("receive_none", subscription="s", within_ms=2000)
    assert arrived["type"] == "Unexpected" and "surprise" in arrived["message"]


def test_reset_closes_every_client_and_forgets_every_handle(driver: DriverProcess, queue_name: str) -> None:
    driver.ok("connect", client="c")
    driver.ok("declare_queue", client="c", topic=queue_name)
    assert driver.ok("reset") == {}
    forgotten = driver.error("declare_queue", client="c", topic=queue_name)
    assert forgotten["type"] == "Unexpected"
    driver.ok("connect", client="c")  # the name is free again


def test_a_line_that_is_not_a_request_is_answered_without_an_id(driver: DriverProcess) -> None:
    response = driver.send_line("this is not json")
    assert response["id"] is None and response["ok"] is False
    assert response["error"]["type"] == "Unexpected"
    assert driver.ok("describe")["client"] == "python"  # and the driver carries on


def test_stdout_holds_only_answers_and_the_driver_exits_when_its_input_ends(module_broker: RealBroker) -> None:
    process = DriverProcess(module_broker.address)
    process.ok("connect", client="c")
    process.error("ack", delivery="missing")  # logged to stderr
    code, stdout, stderr = process.finish()
    assert code == 0
    assert stdout == ""  # everything written was an answer, read above
    assert "missing" in stderr
