#!/usr/bin/env python3
"""Writes the wire-vector files under wire-vectors/ from the definitions below.

    python3 tools/vectorgen/generate.py          # rewrite the files
    python3 tools/vectorgen/generate.py --check  # fail if the committed files differ

The hex in every positive vector comes from encoder.ReferenceEncoder, a schema-driven
encoder that shares nothing with the SDK codecs. Negative and non-canonical vectors are
built byte by byte here, each with a comment saying what is wrong with it. Each frame file
also gets its expanded companion under frames/expanded/ (see expanded.py), which runners load.
"""

from __future__ import annotations

import argparse
import hashlib
import difflib
import json
import struct
import sys
import unicodedata
from pathlib import Path
from typing import Any

import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder import ReferenceEncoder, expand_bytes, generated_bytes, load_protocol  # noqa: E402
from expanded import Expander  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "wire-vectors"
EXPANDED = VECTORS / "frames" / "expanded"
PROTOCOL = load_protocol(ROOT)
ENC = ReferenceEncoder(PROTOCOL)
OPCODE = {op["name"]: op["opcode"] for op in PROTOCOL["ops"]}
MAX_FRAME = PROTOCOL["limits"]["default_max_frame_bytes"]
U64_MAX = str(2**64 - 1)
LIMITS = PROTOCOL["limits"]
SCHEMA_ID = "sinew-wire-vectors/1"


# ---------------------------------------------------------------------------------------
# Field builders: every field is written out, absent optionals as null, so the JSON is the
# complete decoded form a codec must produce.
# ---------------------------------------------------------------------------------------
def message(payload: Any, **extra: Any) -> dict[str, Any]:
    base = {
        "payload": payload, "content_type": None, "headers": None, "partition_key": None,
        "partition": None, "not_before_ms": None, "delay_ms": None, "ttl_ms": None,
        "producer_id": None, "sequence": None,
    }
    base.update(extra)
    return base


def delivered(delivery_id: str, partition: int, offset: str, attempt: int, published_at_ms: str,
              payload: Any, content_type: str | None = None, headers: dict[str, str] | None = None,
              failures: int | None = None, max_retries: int | None = None) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id, "partition": partition, "offset": offset, "attempt": attempt,
        "published_at_ms": published_at_ms, "payload": payload, "content_type": content_type,
        "headers": headers, "failures": failures, "max_retries": max_retries,
    }


def limits() -> dict[str, Any]:
    return {"max_frame_bytes": MAX_FRAME, "max_batch_messages": 1024, "max_headers": 64, "max_prefetch": 65535,
            "max_list_items": LIMITS["default_max_list_items"]}


def pos(vid: str, comment: str, op: str, fields: dict[str, Any], *, request_id: int = 0, flags: int = 0,
        tags: list[str] | None = None) -> dict[str, Any]:
    frame = ENC.frame(op, fields, flags=flags, request_id=request_id)
    return {
        "id": vid, "comment": comment, "tags": tags or [], "op": op,
        "header": {"version": 1, "flags": flags, "request_id": request_id},
        "fields": fields, "hex": frame.hex(),
    }


def pos_large(vid: str, comment: str, op: str, fields: dict[str, Any], generated: dict[str, Any], *,
              request_id: int = 0, flags: int = 0, tags: list[str] | None = None) -> dict[str, Any]:
    """A vector whose frame is too big to store as hex: the payload is written as a byte template."""
    frame = ENC.frame(op, fields, flags=flags, request_id=request_id)
    blob = expand_bytes(generated)
    start = frame.find(blob)
    assert start > 0 and frame.find(blob, start + 1) == -1
    template = [frame[:start].hex(), generated, frame[start + len(blob):].hex()]
    return {
        "id": vid, "comment": comment, "tags": tags or [], "op": op,
        "header": {"version": 1, "flags": flags, "request_id": request_id},
        "fields": fields, "hex": template,
    }


def lenient(vid: str, comment: str, op: str, body: bytes, fields: dict[str, Any], *, request_id: int = 0,
            flags: int = 0, tags: list[str]) -> dict[str, Any]:
    """A non-canonical frame a decoder must accept; re-encoding it yields canonical_hex."""
    raw = ENC.raw_frame(op, body, flags=flags, request_id=request_id)
    canonical = ENC.frame(op, fields, flags=flags, request_id=request_id)
    assert raw != canonical, vid
    return {
        "id": vid, "comment": comment, "tags": ["NonCanonical", *tags], "op": op,
        "header": {"version": 1, "flags": flags, "request_id": request_id},
        "fields": fields, "hex": raw.hex(), "canonical_hex": canonical.hex(),
        # Bytes inside appended fields are skipped by every v1 decoder, so no decode check can see a
        # change to them; the digest pins the whole input.
        "hex_sha256": hashlib.sha256(raw).hexdigest(),
    }


def neg(vid: str, comment: str, data: bytes, error: str, tags: list[str] | None = None) -> dict[str, Any]:
    return {"id": vid, "comment": comment, "tags": tags or [], "hex": data.hex(), "error": error}


def header(opcode: int, length: int, *, version: int = 1, flags: int = 0, reserved: int = 0,
           request_id: int = 1, magic: bytes = b"SN") -> bytes:
    return ENC.header(opcode, length, version=version, flags=flags, reserved=reserved,
                      request_id=request_id, magic=magic)


def framed(op: str, body: bytes, **kw: Any) -> bytes:
    return header(OPCODE[op], len(body), **kw) + body


def pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


# ---------------------------------------------------------------------------------------
# Connection
# ---------------------------------------------------------------------------------------
def connection() -> list[dict[str, Any]]:
    token = "8f1c6a2b9d4e7f3011223344556677889900aabbccddeeff0123456789abcdef"
    return [
        pos("hello/minimal", "A client offering only version 1, with no credentials, resume token or heartbeat preference.",
            "Hello", {"min_version": 1, "max_version": 1, "client_name": "sinew-dotnet", "client_version": "0.1.0",
                      "auth": None, "resume_token": None, "heartbeat_ms": None}, request_id=1,
            tags=["OptionalAbsent"]),
        pos("hello/all-fields", "Every optional field present: plain credentials, a resume token from an earlier session and a 5 s heartbeat preference; the client offers versions 1 to 3.",
            "Hello", {"min_version": 1, "max_version": 3, "client_name": "sinew-python", "client_version": "0.1.0",
                      "auth": {"mechanism": "plain", "identity": "orders-service", "secret": "correct horse"},
                      "resume_token": token, "heartbeat_ms": "5000"}, request_id=1, tags=["OptionalPresent"]),
        pos("hello/unicode-client-name", "Client name and version carry non-ASCII text, including a character outside the Basic Multilingual Plane.",
            "Hello", {"min_version": 1, "max_version": 1, "client_name": "客户端-ünïcode-🚀", "client_version": "1.0.0-β",
                      "auth": {"mechanism": "token", "identity": "", "secret": "tkn_ÄÖÜ"}, "resume_token": None,
                      "heartbeat_ms": None}, request_id=1, tags=["Unicode"]),
        pos("hello/max-heartbeat", "The longest heartbeat a client may propose, 5 minutes (max_heartbeat_ms).",
            "Hello", {"min_version": 1, "max_version": 1, "client_name": "sinew-typescript", "client_version": "0.1.0",
                      "auth": None, "resume_token": None, "heartbeat_ms": str(LIMITS["max_heartbeat_ms"])},
            request_id=1, tags=["LimitBoundary"]),
        pos("hello-ok/new-session", "The broker accepts version 1 and starts a fresh session with the default limits.",
            "HelloOk", {"version": 1, "server_id": "broker-7f3a", "server_version": "0.1.0",
                        "session_id": "0d4c2a6e-9b1f-4f7e-8a55-3c2e1b0a9f10", "resume_token": token,
                        "resumed": False, "heartbeat_ms": "5000", "limits": limits()}, request_id=1),
        pos("hello-ok/resumed", "The broker recognised the resume token and revived the dormant session.",
            "HelloOk", {"version": 1, "server_id": "broker-7f3a", "server_version": "0.1.0",
                        "session_id": "0d4c2a6e-9b1f-4f7e-8a55-3c2e1b0a9f10", "resume_token": token,
                        "resumed": True, "heartbeat_ms": "30000",
                        "limits": {"max_frame_bytes": 1048576, "max_batch_messages": 256, "max_headers": 32,
                                   "max_prefetch": 1000, "max_list_items": 500}}, request_id=1),
        pos("ping/basic", "A heartbeat probe; the body is an empty array.", "Ping", {}, request_id=7),
        pos("ping/max-request-id", "The largest request id a header can carry.", "Ping", {}, request_id=0xFFFFFFFF,
            tags=["EdgeValue"]),
        pos("pong/basic", "The answer to ping/basic, echoing its request id.", "Pong", {}, request_id=7),
        pos("goodbye/basic", "A clean close: the broker ends the session without a reconnect grace window.",
            "Goodbye", {"handed_out": None}, request_id=42, tags=["OptionalAbsent"]),
        pos("goodbye/with-handed-out", "A clean close naming the two unsettled deliveries the application was given: only "
            "they count a failure when the broker returns them.",
            "Goodbye", {"handed_out": ["3", "4294967296"]}, request_id=43, tags=["OptionalPresent"]),
        pos("going-away/basic", "A drain notice: the broker will close connections at the deadline.",
            "GoingAway", {"deadline_at_ms": "1767225600000", "message": "restarting for upgrade", "reconnect_to": None},
            tags=["OptionalAbsent"]),
        pos("going-away/with-reconnect-target", "A drain notice that names where to reconnect.",
            "GoingAway", {"deadline_at_ms": "1767225630000", "message": "node draining", "reconnect_to": "10.0.0.12:7420"},
            tags=["OptionalPresent"]),
        pos("ok/basic", "The generic success reply (here to an Unsubscribe).", "Ok", {}, request_id=9),
        pos("error/minimal", "An error without details.",
            "Error", {"code": 8, "retryable": False, "message": "queue orders/default not found", "details": None},
            request_id=3, tags=["OptionalAbsent"]),
        pos("error/conflict-with-details", "A re-declare conflict naming the field that differs; details keys are written sorted.",
            "Error", {"code": 9, "retryable": False, "message": "queue orders exists with different settings",
                      "details": {"field": "partitions", "existing": "4", "requested": "8"}},
            request_id=4, tags=["OptionalPresent"]),
        pos("error/redirect-retryable", "A retryable redirect telling the client to refresh its routing.",
            "Error", {"code": 11, "retryable": True, "message": "routing version 3 is stale; current is 4",
                      "details": {"routing_version": "4", "endpoint": "10.0.0.12:7420"}}, request_id=5),
        pos("error/unicode-message", "The human message carries non-ASCII text.",
            "Error", {"code": 7, "retryable": False, "message": "ungültiger Name: «zamówienia*»", "details": None},
            request_id=6, tags=["Unicode"]),
        pos("error/unsolicited", "Request id 0: an error not tied to a request, sent before the broker closes the connection.",
            "Error", {"code": 1, "retryable": False, "message": "frame header magic is not SN", "details": None}),
    ]


# ---------------------------------------------------------------------------------------
# Queues: declare, publish, subscribe, deliver, settle
# ---------------------------------------------------------------------------------------
def many_headers() -> dict[str, str]:
    """64 headers (the default limit). Keys are given unsorted; several pin the UTF-8 byte order:
    U+FF61 sorts before U+1F600 in UTF-8 although UTF-16 code units order them the other way,
    and "10" sorts before "9" although a JavaScript object would put "9" first."""
    keys = [f"h{i:02d}" for i in range(56, 0, -1)]
    keys += ["\uff61half-width", "\U0001f600smile", "10", "9", "Zulu", "alpha", "__proto__", "sinew.client.trace"]
    assert len(keys) == 64
    return {k: f"value-{n}" for n, k in enumerate(keys)}


def queues() -> list[dict[str, Any]]:
    dlq_discard = {"kind": "discard", "topic": None, "group": None}
    big = {"generate": "mod251", "length": 1048576}
    return [
        pos("declare-queue/minimal", "Only a topic: every setting falls back to the broker default.",
            "DeclareQueue", {"topic": "orders", "group": None, "partitions": None, "dead_letter": None,
                             "max_retries": None, "default_ttl_ms": None, "lease_ms": None},
            request_id=2, tags=["OptionalAbsent"]),
        pos("declare-queue/all-fields", "Every setting given: four partitions, dead-lettering to a named queue in a group, five retries, a one-hour default TTL and a 30 s lease.",
            "DeclareQueue", {"topic": "orders", "group": "billing", "partitions": 4,
                             "dead_letter": {"kind": "queue", "topic": "orders-dead", "group": "billing"},
                             "max_retries": 5, "default_ttl_ms": "3600000", "lease_ms": "30000"},
            request_id=2, tags=["OptionalPresent"]),
        pos("declare-queue/max-durations", "The longest default TTL (3650 days, max_ttl_ms) and lease (12 hours, max_lease_ms) a queue may be declared with; the TTL needs a uint64.",
            "DeclareQueue", {"topic": "archive", "group": None, "partitions": None, "dead_letter": None,
                             "max_retries": None, "default_ttl_ms": str(LIMITS["max_ttl_ms"]),
                             "lease_ms": str(LIMITS["max_lease_ms"])}, request_id=2, tags=["LimitBoundary"]),
        pos("declare-queue/unicode-names", "Topic and group with non-ASCII letters, which the name rules allow.",
            "DeclareQueue", {"topic": "заказы.создано", "group": "région-éu", "partitions": 1,
                             "dead_letter": {"kind": "global", "topic": None, "group": None},
                             "max_retries": None, "default_ttl_ms": None, "lease_ms": None},
            request_id=2, tags=["Unicode"]),
        pos("declare-queue-ok/created", "The queue was created; the reply carries the effective settings, defaults resolved.",
            "DeclareQueueOk", {"created": True, "partitions": 4,
                               "dead_letter": {"kind": "queue", "topic": "orders-dead", "group": "billing"},
                               "max_retries": 5, "default_ttl_ms": "3600000", "lease_ms": "30000"}, request_id=2),
        pos("declare-queue-ok/existing-no-ttl", "The queue already existed with identical settings; no default TTL is set.",
            "DeclareQueueOk", {"created": False, "partitions": 1, "dead_letter": dlq_discard, "max_retries": 10,
                               "default_ttl_ms": None, "lease_ms": "60000"}, request_id=2, tags=["OptionalAbsent"]),
        pos("publish/minimal-unconfirmed", "An unconfirmed publish: no confirm flag, request id 0, only a payload.",
            "Publish", {"topic": "orders", "group": None, "message": message("7b226964223a317d"), "routing_version": None},
            tags=["OptionalAbsent"]),
        pos("publish/confirmed-empty-payload", "A confirmed publish (flag bit 0) of a zero-length payload.",
            "Publish", {"topic": "orders", "group": None, "message": message(""), "routing_version": None},
            request_id=10, flags=1, tags=["EmptyPayload"]),
        pos("publish/all-optional-fields", "Every optional field present: content type, headers, partition key, partition, absolute and relative delay, TTL, idempotency key and routing version.",
            "Publish", {"topic": "orders", "group": "billing",
                        "message": message("68656c6c6f", content_type="text/plain; charset=utf-8",
                                           headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                                    "tenant": "acme"},
                                           partition_key="637573746f6d65722d3432", partition=3,
                                           not_before_ms="1767225600000", delay_ms="250", ttl_ms="86400000",
                                           producer_id="producer-a1", sequence="123456789"),
                        "routing_version": "17"}, request_id=11, flags=1, tags=["OptionalPresent"]),
        pos("publish/many-headers", "64 headers, the default limit, written sorted by UTF-8 key bytes (see the comment in the generator for the orderings it pins).",
            "Publish", {"topic": "audit", "group": None,
                        "message": message("00", content_type="application/octet-stream", headers=many_headers()),
                        "routing_version": None}, request_id=12, flags=1, tags=["ManyHeaders", "Unicode"]),
        pos_large("publish/one-mebibyte-payload", "A 1 MiB payload (byte i is i mod 251), which needs a bin32 header.",
                  "Publish", {"topic": "blobs", "group": None, "message": message(big), "routing_version": None},
                  big, request_id=13, flags=1, tags=["LargePayload"]),
        pos("publish/unicode-topic-and-headers", "Non-ASCII topic, group, header keys and values.",
            "Publish", {"topic": "事件.订单", "group": "groupe-α",
                        "message": message("e29c93", content_type="text/plain; charset=utf-8",
                                           headers={"clé": "valeur ✓", "ключ": "значение"}),
                        "routing_version": None}, request_id=14, flags=1, tags=["Unicode"]),
        pos("publish/binary-partition-key", "A partition key is bytes, not text: here it contains a zero byte and invalid UTF-8.",
            "Publish", {"topic": "orders", "group": None,
                        "message": message("01", partition_key="00ff80c3", partition=2),
                        "routing_version": "1"}, request_id=15, flags=1),
        pos("publish/delayed", "A delayed publish: not to be delivered before the given time.",
            "Publish", {"topic": "reminders", "group": None,
                        "message": message("72656d696e64", not_before_ms="1767225660000"),
                        "routing_version": None}, request_id=16, flags=1),
        pos("publish/max-durations", "The longest delay (max_delay_ms) and TTL (max_ttl_ms), both 3650 days: accepted, and the TTL counts from receipt, not from the end of the delay.",
            "Publish", {"topic": "reminders", "group": None,
                        "message": message("796561726c79", delay_ms=str(LIMITS["max_delay_ms"]),
                                           ttl_ms=str(LIMITS["max_ttl_ms"])),
                        "routing_version": None}, request_id=17, flags=1, tags=["LimitBoundary"]),
        pos("publish-batch/three-messages", "Three messages to one queue in one frame: a keyed one, a delayed one and an expiring one.",
            "PublishBatch", {"topic": "orders", "group": None,
                             "messages": [message("6131", partition_key="6b2d31"),
                                          message("6132", delay_ms="5000"),
                                          message("6133", ttl_ms="60000", content_type="application/json")],
                             "routing_version": "2"}, request_id=20, flags=1),
        pos("publish-batch/unconfirmed-idempotent", "An unconfirmed batch stamped with an idempotency key per message.",
            "PublishBatch", {"topic": "payments", "group": "eu",
                             "messages": [message("7031", producer_id="p-9", sequence="0"),
                                          message("7032", producer_id="p-9", sequence="1")],
                             "routing_version": None}),
        pos("publish-ok/single", "The confirmation of one publish: partition and offset.",
            "PublishOk", {"results": [{"partition": 0, "offset": "0", "duplicate": False}]}, request_id=10),
        pos("publish-ok/max-u64-offset", "The largest offset the wire can carry.",
            "PublishOk", {"results": [{"partition": 4294967295, "offset": U64_MAX, "duplicate": False}]},
            request_id=11, tags=["EdgeValue"]),
        pos("publish-ok/batch-with-duplicate", "A batch confirmation in message order; the second message was a retried duplicate and keeps its original offset.",
            "PublishOk", {"results": [{"partition": 1, "offset": "1000", "duplicate": False},
                                      {"partition": 1, "offset": "998", "duplicate": True},
                                      {"partition": 3, "offset": "4294967296", "duplicate": False}]}, request_id=20),
        pos("subscribe/manual-ack", "A manual-ack subscription over every partition with prefetch 1024.",
            "Subscribe", {"topic": "orders", "group": None, "partition": None, "ack_mode": "manual", "prefetch": 1024,
                          "consumer_group": None}, request_id=30, tags=["OptionalAbsent"]),
        pos("subscribe/auto-ack-one-partition", "An auto-ack subscription naming one partition.",
            "Subscribe", {"topic": "orders", "group": "billing", "partition": 3, "ack_mode": "auto", "prefetch": 1,
                          "consumer_group": None}, request_id=31),
        pos("subscribe/consumer-group", "Joining the queue's exclusive consumer group with a stable member id and a target of 3 consumers.",
            "Subscribe", {"topic": "orders", "group": None, "partition": None, "ack_mode": "manual", "prefetch": 64,
                          "consumer_group": {"member_id": "worker-1", "consumer_target": 3}},
            request_id=32, tags=["OptionalPresent"]),
        pos("subscribe-ok/four-partitions", "The subscription id and the partitions it covers.",
            "SubscribeOk", {"subscription_id": "1", "partitions": [0, 1, 2, 3]}, request_id=30),
        pos("unsubscribe/basic", "Ending a subscription; unsettled deliveries return to the queue.",
            "Unsubscribe", {"subscription_id": "1", "handed_out": None}, request_id=33, tags=["OptionalAbsent"]),
        pos("unsubscribe/with-handed-out", "Ending a subscription whose application holds one unsettled delivery; an empty "
            "list would say it holds none.",
            "Unsubscribe", {"subscription_id": "1", "handed_out": ["7"]}, request_id=34, tags=["OptionalPresent"]),
        pos("deliver/single", "One message, first attempt.",
            "Deliver", {"subscription_id": "1",
                        "messages": [delivered("1", 0, "0", 1, "1767225600123", "7b226964223a317d", "application/json")]}),
        pos("deliver/batch-with-headers", "Three messages from two partitions; one redelivered with headers, one with an empty payload.",
            "Deliver", {"subscription_id": "5",
                        "messages": [delivered("10", 2, "41", 1, "1767225600000", "6131"),
                                     delivered("11", 0, "7", 3, "1767225600001", "6132", "text/plain",
                                               {"tenant": "acme", "sinew.dlq.reason": "retries_exhausted"},
                                               failures=2, max_retries=5),
                                     delivered("12", 2, "42", 1, "1767225600002", "")]},
            tags=["EmptyPayload"]),
        pos("deliver/max-u64-values", "Delivery id and offset at the u64 maximum, attempt and partition at the u32 maximum.",
            "Deliver", {"subscription_id": U64_MAX,
                        "messages": [delivered(U64_MAX, 4294967295, U64_MAX, 4294967295, U64_MAX, "ff",
                                               failures=4294967295, max_retries=4294967295)]},
            tags=["EdgeValue"]),
        pos("subscription-closed/deleted", "The broker ended a subscription because its queue was deleted.",
            "SubscriptionClosed", {"subscription_id": "5", "reason": "deleted", "message": "queue orders was deleted"}),
        pos("ack/single", "Settling one delivery; request id 0 means no SettleOk is wanted.",
            "Ack", {"delivery_ids": ["1"]}),
        pos("ack/batch", "Settling several deliveries in one frame and asking for a SettleOk.",
            "Ack", {"delivery_ids": ["10", "11", "12", "4294967296", U64_MAX]}, request_id=40, tags=["EdgeValue"]),
        pos("nack/fail-with-reason", "A terminal failure (no requeue) with an error reason the dead-lettered copy keeps.",
            "Nack", {"items": [{"delivery_id": "11", "requeue": False, "not_before_ms": None, "delay_ms": None,
                                "reason": "schema validation failed: missing field \"sku\""}]}, request_id=41),
        pos("nack/retry-now", "A retry: requeue immediately.",
            "Nack", {"items": [{"delivery_id": "12", "requeue": True, "not_before_ms": None, "delay_ms": None,
                                "reason": None}]}, request_id=42),
        pos("nack/delayed-retries", "Two delayed retries in one frame, one by absolute time and one by relative delay.",
            "Nack", {"items": [{"delivery_id": "13", "requeue": True, "not_before_ms": "1767225700000",
                                "delay_ms": None, "reason": None},
                               {"delivery_id": "14", "requeue": True, "not_before_ms": None, "delay_ms": "1500",
                                "reason": "downstream busy"}]}, request_id=43),
        pos("nack/max-delay", "A delayed retry by the longest delay, 3650 days (max_delay_ms).",
            "Nack", {"items": [{"delivery_id": "15", "requeue": True, "not_before_ms": None,
                                "delay_ms": str(LIMITS["max_delay_ms"]), "reason": None}]},
            request_id=45, tags=["LimitBoundary"]),
        pos("extend-lease/basic", "Keeping two deliveries: one by the queue's lease length, one by 2 minutes.",
            "ExtendLease", {"items": [{"delivery_id": "20", "extend_ms": None},
                                      {"delivery_id": "21", "extend_ms": "120000"}]}, request_id=44),
        pos("extend-lease/max-extension", "The longest lease extension, 12 hours (max_lease_ms).",
            "ExtendLease", {"items": [{"delivery_id": "22", "extend_ms": str(LIMITS["max_lease_ms"])}]},
            request_id=46, tags=["LimitBoundary"]),
        pos("settle-ok/all-settled", "Every item in the settlement succeeded.", "SettleOk", {"failures": []},
            request_id=40),
        pos("settle-ok/with-failures", "Two items failed: one stale (lease expired), one unknown.",
            "SettleOk", {"failures": [{"delivery_id": "11", "code": 10}, {"delivery_id": "99", "code": 8}]},
            request_id=41),
    ]


# ---------------------------------------------------------------------------------------
# Streams
# ---------------------------------------------------------------------------------------
def streams() -> list[dict[str, Any]]:
    return [
        pos("declare-stream/minimal", "Only a topic: broker defaults for partitions, durability and retention.",
            "DeclareStream", {"topic": "clicks", "group": None, "partitions": None, "durability": None,
                              "retention": None}, request_id=50, tags=["OptionalAbsent"]),
        pos("declare-stream/all-fields", "Eight durable partitions kept for seven days or 10 GiB, whichever comes first.",
            "DeclareStream", {"topic": "clicks", "group": "web", "partitions": 8, "durability": "durable",
                              "retention": {"max_age_ms": "604800000", "max_bytes": "10737418240", "max_records": None}},
            request_id=51, tags=["OptionalPresent"]),
        pos("declare-stream/max-retention-age", "The longest retention age a stream may be declared with, 3650 days (max_retention_age_ms).",
            "DeclareStream", {"topic": "ledger", "group": None, "partitions": None, "durability": None,
                              "retention": {"max_age_ms": str(LIMITS["max_retention_age_ms"]), "max_bytes": None,
                                            "max_records": None}},
            request_id=52, tags=["LimitBoundary"]),
        pos("declare-stream-ok/basic", "The effective stream settings.",
            "DeclareStreamOk", {"created": True, "partitions": 8, "durability": "speculative",
                                "retention": {"max_age_ms": None, "max_bytes": None, "max_records": "1000000"}},
            request_id=51),
        pos("subscribe-stream/latest", "An ephemeral reader starting at the newest record.",
            "SubscribeStream", {"topic": "clicks", "group": None, "partition": None, "ack_mode": "auto",
                                "prefetch": 512, "cursor": None, "start": {"kind": "latest", "value": None},
                                "filters": None}, request_id=52, tags=["OptionalAbsent"]),
        pos("subscribe-stream/durable-cursor-with-filters", "A durable named cursor with two header filters (written sorted).",
            "SubscribeStream", {"topic": "clicks", "group": "web", "partition": 5, "ack_mode": "manual",
                                "prefetch": 100, "cursor": "analytics", "start": None,
                                "filters": {"region": "eu-*", "event": "purchase"}}, request_id=53,
            tags=["OptionalPresent"]),
        pos("subscribe-stream/start-by-time", "An ephemeral reader starting at the first record at or after a time.",
            "SubscribeStream", {"topic": "clicks", "group": None, "partition": None, "ack_mode": "auto",
                                "prefetch": 64, "cursor": None, "start": {"kind": "by_time", "value": "1767225600000"},
                                "filters": None}, request_id=54),
        pos("subscribe-stream/n-back", "An ephemeral reader starting 100 records before the end of each partition.",
            "SubscribeStream", {"topic": "clicks", "group": None, "partition": None, "ack_mode": "auto",
                                "prefetch": 64, "cursor": None, "start": {"kind": "n_back", "value": "100"},
                                "filters": None}, request_id=55),
    ]


# ---------------------------------------------------------------------------------------
# Topology, reconciliation and consumer groups
# ---------------------------------------------------------------------------------------
def cluster() -> list[dict[str, Any]]:
    return [
        pos("topology-request/basic", "Asking for the catalogue of queues and streams.", "TopologyRequest", {},
            request_id=60),
        pos("topology/single-node", "A single broker owns everything, so owners are absent.",
            "Topology", {"generation": "3",
                         "brokers": [{"broker_id": "broker-7f3a", "endpoints": ["127.0.0.1:7420"]}],
                         "channels": [{"kind": "queue", "topic": "orders", "group": None, "partitions": 4,
                                       "routing_version": "1", "owners": None},
                                      {"kind": "stream", "topic": "clicks", "group": "web", "partitions": 8,
                                       "routing_version": "1", "owners": None}]}, request_id=60,
            tags=["OptionalAbsent"]),
        pos("topology/cluster-push", "A pushed update (request id 0) naming the owning broker of each partition.",
            "Topology", {"generation": "4",
                         "brokers": [{"broker_id": "a", "endpoints": ["10.0.0.11:7420", "node-a.internal:7420"]},
                                     {"broker_id": "b", "endpoints": ["10.0.0.12:7420"]}],
                         "channels": [{"kind": "queue", "topic": "orders", "group": None, "partitions": 3,
                                       "routing_version": "2", "owners": [0, 1, 0]}]},
            tags=["OptionalPresent"]),
        pos("topology-ack/basic", "The client applied topology generation 4.", "TopologyAck", {"generation": "4"}),
        pos("reconcile/two-subscriptions", "After a resumed handshake the client lists the subscriptions it still holds.",
            "Reconcile", {"policy": "restore", "subscriptions": [
                {"subscription_id": "1", "kind": "queue", "topic": "orders", "group": None, "partition": None,
                 "ack_mode": "manual", "prefetch": 1024, "cursor": None},
                {"subscription_id": "2", "kind": "stream", "topic": "clicks", "group": "web", "partition": 5,
                 "ack_mode": "manual", "prefetch": 100, "cursor": "analytics"}]}, request_id=70),
        pos("reconcile-ok/mixed-outcomes", "One subscription kept, one restored under a new id, one closed.",
            "ReconcileOk", {"results": [{"subscription_id": "1", "outcome": "kept", "new_subscription_id": None},
                                        {"subscription_id": "2", "outcome": "restored", "new_subscription_id": "9"},
                                        {"subscription_id": "3", "outcome": "closed", "new_subscription_id": None}]},
            request_id=70),
        pos("assignment-changed/basic", "The consumer group gave this member partitions 0 and 2.",
            "AssignmentChanged", {"subscription_id": "1", "generation": "2", "partitions": [0, 2]}),
        pos("assignment-changed/revoked-all", "The member holds no partitions for now (more members than partitions).",
            "AssignmentChanged", {"subscription_id": "1", "generation": "3", "partitions": []}),
    ]


# ---------------------------------------------------------------------------------------
# Non-canonical but valid input a decoder must accept
# ---------------------------------------------------------------------------------------
def decoding() -> list[dict[str, Any]]:
    publish_fields = {"topic": "orders", "group": None, "message": message("6869"), "routing_version": None}
    declare_fields = {"topic": "orders", "group": None, "partitions": None, "dead_letter": None,
                      "max_retries": None, "default_ttl_ms": None, "lease_ms": None}
    u64_5 = b"\xcf" + (5).to_bytes(8, "big")
    token = bytes.fromhex("8f1c6a2b9d4e7f3011223344556677889900aabbccddeeff0123456789abcdef")
    old_limits = {"max_frame_bytes": MAX_FRAME, "max_batch_messages": 1024, "max_headers": 64, "max_prefetch": 65535}
    return [
        lenient("decoding/limits-without-list-limit", "A broker older than Limits.max_list_items sends four limits; the field is absent and a client assumes default_max_list_items.",
                "HelloOk", pack([1, "broker-7f3a", "0.1.0", "0d4c2a6e-9b1f-4f7e-8a55-3c2e1b0a9f10", token, False, 5000,
                                 list(old_limits.values())]),
                {"version": 1, "server_id": "broker-7f3a", "server_version": "0.1.0",
                 "session_id": "0d4c2a6e-9b1f-4f7e-8a55-3c2e1b0a9f10", "resume_token": token.hex(),
                 "resumed": False, "heartbeat_ms": "5000", "limits": {**old_limits, "max_list_items": None}},
                request_id=1, tags=["OmittedOptionals"]),
        lenient("decoding/extra-trailing-fields", "A newer peer appended two fields to Ping; a v1 decoder ignores them.",
                "Ping", pack([1, "future"]), {}, request_id=8, tags=["ExtraFields"]),
        lenient("decoding/extra-fields-in-nested-record", "A newer peer appended a field to the Publish message record and to the body.",
                "Publish", pack(["orders", None, [b"hi", None, None, None, None, None, None, None, None, None, True], None, 99]),
                publish_fields, tags=["ExtraFields"]),
        lenient("decoding/omitted-trailing-optionals", "Trailing optional fields left out entirely instead of written as nil.",
                "DeclareQueue", pack(["orders"]), declare_fields, request_id=2, tags=["OmittedOptionals"]),
        lenient("decoding/omitted-optionals-in-record", "The Publish message record carries only its payload.",
                "Publish", pack(["orders", None, [b"hi"]]), publish_fields, tags=["OmittedOptionals"]),
        lenient("decoding/non-minimal-integers", "Small integers written as uint64 and int8: accepted, re-encoded minimally.",
                "SubscribeOk", b"\x92" + u64_5 + b"\x92\xd0\x01\xcd\x00\x02",
                {"subscription_id": "5", "partitions": [1, 2]}, request_id=30, tags=["NonMinimalEncoding"]),
        lenient("decoding/uint8-for-fixint", "The value 4 written as uint8 (0xCC 0x04) instead of a positive fixint.",
                "TopologyAck", b"\x91\xcc\x04", {"generation": "4"}, tags=["NonMinimalEncoding"]),
        lenient("decoding/unsorted-string-map", "Header pairs not sorted by key: accepted, re-encoded sorted.",
                "Error", pack([9, False, "x", ["zeta", "1", "alpha", "2"]]),
                {"code": 9, "retryable": False, "message": "x", "details": {"alpha": "2", "zeta": "1"}},
                request_id=4, tags=["UnsortedMap"]),
        lenient("decoding/nesting-at-the-limit", "An appended field nesting to exactly 32 levels (the body array is level 1): accepted.",
                "Ping", b"\x91" + b"\x91" * 30 + b"\x90", {}, request_id=8, tags=["ExtraFields", "LimitBoundary"]),
        lenient("decoding/str8-short-string", "A three-byte string written with a str8 header.",
                "GoingAway", b"\x93\xcf" + (1767225600000).to_bytes(8, "big") + b"\xd9\x03bye\xc0",
                {"deadline_at_ms": "1767225600000", "message": "bye", "reconnect_to": None},
                tags=["NonMinimalEncoding"]),
    ]


# ---------------------------------------------------------------------------------------
# Negative vectors: each must fail with exactly the listed decode error kind
# ---------------------------------------------------------------------------------------
def negative() -> list[dict[str, Any]]:
    ping = pack([])
    good_publish_body = pack(["orders", None, [b"hi"], None])
    too_big = MAX_FRAME + 1
    return [
        neg("negative/truncated-header/empty", "No bytes at all where a header was expected.", b"", "truncated_header"),
        neg("negative/truncated-header/three-bytes", "Only the magic and version.", b"SN\x01", "truncated_header"),
        neg("negative/truncated-header/fifteen-bytes", "One byte short of a header.",
            header(OPCODE["Ping"], 1)[:15], "truncated_header"),
        neg("negative/bad-magic/http-request", "An HTTP client talking to the protocol port.",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "bad_magic"),
        neg("negative/bad-magic/tls-client-hello", "A TLS handshake record talking to the plaintext port.",
            bytes.fromhex("160301020001000200030300000000000000"), "bad_magic"),
        neg("negative/unsupported-version/zero", "Version 0 is never valid.",
            framed("Ping", ping, version=0), "unsupported_version"),
        neg("negative/unsupported-version/two", "A frame in a version this decoder does not speak.",
            framed("Ping", ping, version=2), "unsupported_version"),
        neg("negative/bad-flags/reserved-bytes", "The reserved header bytes must be zero.",
            framed("Ping", ping, reserved=1), "bad_flags"),
        neg("negative/bad-flags/undefined-bit", "Flag bit 15 is not defined.",
            framed("Publish", good_publish_body, flags=0x8000), "bad_flags"),
        neg("negative/bad-flags/confirm-on-ping", "The confirm flag is only allowed on Publish and PublishBatch.",
            framed("Ping", ping, flags=1), "bad_flags"),
        neg("negative/frame-too-large/max-u32", "A body length of 4 GiB - 1: rejected from the header alone, before any body arrives.",
            header(OPCODE["Publish"], 0xFFFFFFFF), "frame_too_large"),
        neg("negative/frame-too-large/one-over-limit", "A body length one byte over the 16 MiB default limit.",
            header(OPCODE["Publish"], too_big), "frame_too_large", tags=["LimitBoundary"]),
        neg("negative/truncated-body/half", "The header promises 10 body bytes; 5 arrive.",
            header(OPCODE["Publish"], 10) + bytes(5), "truncated_body"),
        neg("negative/truncated-body/none", "The header promises a body; none arrives.",
            header(OPCODE["Ping"], 1), "truncated_body"),
        neg("negative/unknown-opcode/unassigned", "Opcode 0xEE is not assigned; the body is complete and valid.",
            header(0xEE, 1) + ping, "unknown_opcode"),
        neg("negative/unknown-opcode/zero", "Opcode 0 is never assigned.", header(0, 1) + ping, "unknown_opcode"),
        neg("negative/malformed-body/empty", "A body of zero bytes is not a MessagePack value.",
            framed("Ping", b""), "malformed_body"),
        neg("negative/malformed-body/never-used-byte", "0xC1 is not a valid MessagePack type byte.",
            framed("Ping", b"\xc1"), "malformed_body"),
        neg("negative/malformed-body/array-cut-short", "The array header says three elements; the frame holds two.",
            framed("Unsubscribe", b"\x93\x01\x02"), "malformed_body"),
        neg("negative/malformed-body/string-cut-short", "A str8 of length 10 with only 3 bytes inside the frame.",
            framed("Unsubscribe", b"\x91\xd9\x0aabc"), "malformed_body"),
        neg("negative/malformed-body/nested-too-deep", "33 levels of arrays (the body array is level 1), the innermost empty.",
            framed("Ping", b"\x91" + b"\x91" * 31 + b"\x90"), "malformed_body", tags=["LimitBoundary"]),
        neg("negative/trailing-bytes/after-body", "A complete body followed by garbage inside the declared length.",
            framed("Ping", ping + b"\x00\xff"), "trailing_bytes"),
        neg("negative/wrong-type/body-is-map", "The body must be an array, not a map.",
            framed("Ping", b"\x80"), "wrong_type"),
        neg("negative/wrong-type/topic-is-int", "Publish topic written as an integer.",
            framed("Publish", pack([7, None, [b"hi"], None])), "wrong_type"),
        neg("negative/wrong-type/payload-is-str", "A payload must be bin, not str.",
            framed("Publish", pack(["orders", None, ["hi"], None])), "wrong_type"),
        neg("negative/wrong-type/topic-is-bin", "A topic must be str, not bin.",
            framed("Publish", pack([b"orders", None, [b"hi"], None])), "wrong_type"),
        neg("negative/wrong-type/negative-integer", "An unsigned field holding -1.",
            framed("Unsubscribe", pack([-1])), "wrong_type"),
        neg("negative/wrong-type/u32-out-of-range", "A u32 field (prefetch) holding 2^32.",
            framed("Subscribe", pack(["orders", None, None, 0, 2**32, None])), "wrong_type"),
        neg("negative/wrong-type/u8-out-of-range", "A u8 field (min_version) holding 256.",
            framed("Hello", pack([256, 1, "c", "1", None, None, None])), "wrong_type"),
        neg("negative/wrong-type/float", "No floats on the wire: 1.5 in an integer field.",
            framed("Unsubscribe", b"\x91\xcb" + struct.pack(">d", 1.5)), "wrong_type"),
        neg("negative/wrong-type/bool-as-int", "A bool field (requeue) holding the integer 1.",
            framed("Nack", pack([[[5, 1, None, None, None]]])), "wrong_type"),
        neg("negative/wrong-type/int-as-bool", "An integer field (subscription_id) holding true.",
            framed("Unsubscribe", pack([True])), "wrong_type"),
        neg("negative/wrong-type/record-is-str", "The nested message record written as a string.",
            framed("Publish", pack(["orders", None, "hi", None])), "wrong_type"),
        neg("negative/wrong-type/string-map-is-map", "Headers must be an array of pairs, not a MessagePack map.",
            framed("Publish", pack(["orders", None, [b"hi", None, {"a": "b"}], None])), "wrong_type"),
        neg("negative/wrong-type/string-map-value-is-bin", "A header value must be str.",
            framed("Publish", pack(["orders", None, [b"hi", None, ["a", b"b"]], None])), "wrong_type"),
        neg("negative/wrong-type/timestamp-extension", "Times are unsigned integers, not the MessagePack timestamp extension.",
            framed("GoingAway", b"\x93\xd6\xff\x00\x00\x00\x01\xa1x\xc0"), "wrong_type"),
        neg("negative/missing-field/empty-array", "Publish with an empty body array.",
            framed("Publish", pack([])), "missing_field"),
        neg("negative/missing-field/short-array", "Hello cut after the client name: client_version is required.",
            framed("Hello", pack([1, 1, "c"])), "missing_field"),
        neg("negative/missing-field/required-nil", "A required field (topic) written as nil.",
            framed("Publish", pack([None, None, [b"hi"], None])), "missing_field"),
        neg("negative/missing-field/nested-record", "The Publish message record is empty: payload is required.",
            framed("Publish", pack(["orders", None, [], None])), "missing_field"),
        neg("negative/missing-field/list-item", "An Ack delivery id written as nil.",
            framed("Ack", pack([[1, None]])), "missing_field"),
        neg("negative/invalid-value/unknown-enum", "ack_mode 9 is not defined.",
            framed("Subscribe", pack(["orders", None, None, 9, 10, None])), "invalid_value"),
        neg("negative/invalid-value/invalid-utf8", "A str holding bytes that are not UTF-8.",
            framed("Publish", b"\x94\xa2\xc3\x28\xc0\x91\xc4\x00\xc0"), "invalid_value"),
        neg("negative/invalid-value/long-invalid-utf8", "A 300-byte str ending in a lone continuation byte.",
            framed("Publish", b"\x94\xda\x01\x2c" + b"a" * 299 + b"\x80" + b"\xc0\x91\xc4\x00\xc0"), "invalid_value"),
        neg("negative/invalid-value/duplicate-header-key", "A string map naming the same key twice.",
            framed("Publish", pack(["orders", None, [b"hi", None, ["k", "1", "k", "2"]], None])), "invalid_value"),
        neg("negative/invalid-value/odd-length-string-map", "A string map with a key and no value.",
            framed("Error", pack([1, False, "x", ["k"]])), "invalid_value"),
        neg("negative/invalid-value/odd-length-before-element-types", "An odd-length string map is refused before its elements are looked at, even when one is not a str.",
            framed("Error", pack([1, False, "x", ["k", 1, "x"]])), "invalid_value", tags=["Precedence"]),
        neg("negative/wrong-type/duplicate-key-with-bad-value", "Each pair's key and value are checked before the pair is compared with earlier keys.",
            framed("Error", pack([1, False, "x", ["k", "1", "k", 2]])), "wrong_type", tags=["Precedence"]),
        neg("negative/missing-field/string-map-nil-element", "A nil inside a string map is a missing value.",
            framed("Error", pack([1, False, "x", ["k", None]])), "missing_field"),
        neg("negative/malformed-body/timestamp-bad-length", "Extension type -1 (timestamp) exists only with 4, 8 or 12 bytes; 2 bytes is not a MessagePack value.",
            framed("GoingAway", b"\x93\xd5\xff\x00\x00\xa1x\xc0"), "malformed_body"),
        neg("negative/wrong-type/other-extension", "Any extension type is wrong where the protocol expects a value.",
            framed("Unsubscribe", b"\x91\xd4\x05\x01"), "wrong_type"),
    ]


# ---------------------------------------------------------------------------------------
# FNV-1a partition routing
# ---------------------------------------------------------------------------------------
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def partitioning() -> dict[str, Any]:
    # The first three hashes are the published FNV-1a 64 test values (0xcbf29ce484222325 for "",
    # 0xaf63dc4c8601ec8c for "a", 0x85944171f73967e8 for "foobar"); the asserts keep our
    # implementation honest against them.
    assert fnv1a64(b"") == 0xCBF29CE484222325
    assert fnv1a64(b"a") == 0xAF63DC4C8601EC8C
    assert fnv1a64(b"foobar") == 0x85944171F73967E8
    cases: list[tuple[str, bytes, list[int], str]] = [
        ("empty", b"", [1, 2, 3, 7], "The empty key hashes to the offset basis."),
        ("a", b"a", [1, 2, 16], "Published FNV-1a 64 test value."),
        ("foobar", b"foobar", [1, 4, 10, 1000], "Published FNV-1a 64 test value."),
        ("customer-42", b"customer-42", [1, 2, 3, 4, 8, 12, 16, 64], "A typical business key."),
        ("utf8-key", "заказ-№7".encode("utf-8"), [3, 5, 7], "Text keys are hashed as their UTF-8 bytes."),
        ("emoji-key", "🚀".encode("utf-8"), [2, 9], "A four-byte UTF-8 sequence."),
        ("binary-key", bytes([0x00, 0xFF, 0x80, 0x7F]), [4, 6], "Keys are bytes: zero and high bytes included."),
        ("long-key", bytes(range(256)) * 4, [11, 255], "A 1 KiB key."),
        ("uuid", b"550e8400-e29b-41d4-a716-446655440000", [4294967295], "The largest partition count."),
    ]
    out = []
    for name, key, counts, comment in cases:
        h = fnv1a64(key)
        entry: dict[str, Any] = {"id": f"fnv1a/{name}", "comment": comment, "key_hex": key.hex()}
        try:
            entry["key_utf8"] = key.decode("utf-8")
        except UnicodeDecodeError:
            entry["key_utf8"] = None
        entry["fnv1a64"] = str(h)
        entry["partitions"] = [{"count": c, "partition": h % c} for c in counts]
        out.append(entry)
    return {
        "schema": SCHEMA_ID,
        "description": "FNV-1a 64-bit hashes of partition keys and the partition each selects (hash mod count).",
        "algorithm": {"offset_basis": str(FNV_OFFSET), "prime": str(FNV_PRIME),
                      "steps": "for each byte: hash ^= byte; hash = (hash * prime) mod 2^64; partition = hash mod count"},
        "vectors": out,
    }


# ---------------------------------------------------------------------------------------
# Name, header-key and group rules
# ---------------------------------------------------------------------------------------
def names() -> dict[str, Any]:
    def ok(vid: str, value: str, comment: str) -> dict[str, Any]:
        return {"id": vid, "value": value, "valid": True, "reason": None, "comment": comment}

    def bad(vid: str, value: str, reason: str, comment: str) -> dict[str, Any]:
        return {"id": vid, "value": value, "valid": False, "reason": reason, "comment": comment}

    name_cases = [
        ok("name/simple", "orders", "Lower-case ASCII."),
        ok("name/dotted", "orders.created.v2", "Dots separate words."),
        ok("name/mixed", "Orders_EU-1:primary", "Upper case, digits, underscore, hyphen and colon."),
        ok("name/cyrillic", "заказы", "Non-ASCII letters are allowed."),
        ok("name/cjk", "事件", "CJK characters."),
        ok("name/emoji", "🚀launch", "Characters outside the Basic Multilingual Plane."),
        ok("name/max-length", "a" * 200, "Exactly 200 UTF-8 bytes."),
        ok("name/max-length-multibyte", "é" * 100, "100 two-byte characters: 200 bytes."),
        ok("name/default-topic", "default", "'default' is an ordinary topic name; only groups normalise it."),
        ok("name/starts-with-dot-dot", "..a", "Only the exact names '.' and '..' are refused."),
        bad("name/empty", "", "empty", "Names have at least one byte."),
        bad("name/too-long", "a" * 201, "too_long", "201 bytes."),
        bad("name/too-long-multibyte", "é" * 100 + "a", "too_long", "Length is counted in UTF-8 bytes, not characters."),
        bad("name/space", "new orders", "whitespace", "ASCII space."),
        bad("name/tab", "a\tb", "control_character", "Tab is a control character."),
        bad("name/nul", "a\u0000b", "control_character", "NUL."),
        bad("name/del", "a\u007fb", "control_character", "DEL."),
        bad("name/c1-control", "a\u0085b", "control_character", "NEL, a C1 control."),
        bad("name/no-break-space", "a\u00a0b", "whitespace", "No-break space."),
        bad("name/ideographic-space", "a\u3000b", "whitespace", "Ideographic space."),
        bad("name/line-separator", "a\u2028b", "whitespace", "Line separator."),
        bad("name/zero-width-no-break-space", "\ufeffa", "whitespace", "A byte-order mark."),
        bad("name/star", "orders.*", "reserved_character", "'*' is reserved for patterns."),
        bad("name/greater-than", "orders.>", "reserved_character", "'>' is reserved for patterns."),
        bad("name/question-mark", "a?", "reserved_character", "'?' is reserved for patterns."),
        bad("name/hash", "a#b", "reserved_character", "'#' is reserved."),
        bad("name/slash", "a/b", "reserved_character", "'/' is reserved."),
        bad("name/backslash", "a\\b", "reserved_character", "'\\' is reserved."),
        bad("name/dot", ".", "reserved_name", "'.' alone."),
        bad("name/dot-dot", "..", "reserved_name", "'..' alone."),
        bad("name/dollar-prefix", "$sys", "reserved_prefix", "A leading '$' is reserved for the broker."),
    ]
    header_cases = [
        {"id": "header/plain", "key": "tenant", "allowed": True, "reason": None, "comment": "An ordinary key."},
        {"id": "header/traceparent", "key": "traceparent", "allowed": True, "reason": None, "comment": "W3C trace context."},
        {"id": "header/unicode", "key": "clé", "allowed": True, "reason": None, "comment": "Non-ASCII keys are allowed."},
        {"id": "header/sinew-like", "key": "sinewy", "allowed": True, "reason": None, "comment": "Only the prefix 'sinew.' is reserved."},
        {"id": "header/client-carve-out", "key": "sinew.client.trace", "allowed": True, "reason": None,
         "comment": "The 'sinew.client.' prefix is left to client libraries."},
        {"id": "header/client-carve-out-upper", "key": "SINEW.CLIENT.x", "allowed": True, "reason": None,
         "comment": "Prefixes are matched ignoring ASCII case."},
        {"id": "header/reserved", "key": "sinew.dlq.reason", "allowed": False, "reason": "reserved_prefix",
         "comment": "Broker metadata."},
        {"id": "header/reserved-mixed-case", "key": "Sinew.Anything", "allowed": False, "reason": "reserved_prefix",
         "comment": "Case does not evade the reservation."},
        {"id": "header/reserved-bare", "key": "sinew.", "allowed": False, "reason": "reserved_prefix",
         "comment": "The prefix alone."},
        {"id": "header/client-without-dot", "key": "sinew.client", "allowed": False, "reason": "reserved_prefix",
         "comment": "The carve-out needs its trailing dot."},
        {"id": "header/empty", "key": "", "allowed": False, "reason": "empty", "comment": "Keys have at least one byte."},
        {"id": "header/too-long", "key": "k" * 129, "allowed": False, "reason": "too_long", "comment": "129 bytes."},
        {"id": "header/max-length", "key": "k" * 128, "allowed": True, "reason": None, "comment": "128 bytes."},
        {"id": "header/control", "key": "a\nb", "allowed": False, "reason": "control_character", "comment": "Line feed."},
    ]
    group_cases = [
        {"id": "group/absent", "group": None, "normalised": None, "comment": "No group."},
        {"id": "group/empty", "group": "", "normalised": None, "comment": "The empty group is the ungrouped queue."},
        {"id": "group/default", "group": "default", "normalised": None, "comment": "'default' is the ungrouped queue."},
        {"id": "group/named", "group": "billing", "normalised": "billing", "comment": "Kept as given."},
        {"id": "group/default-upper", "group": "Default", "normalised": "Default", "comment": "Names are case-sensitive: only the exact 'default' normalises."},
    ]
    return {
        "schema": SCHEMA_ID,
        "description": "Name rules for topics, groups, stream cursors and producer ids; reserved header keys; group normalisation.",
        "names": name_cases,
        "header_keys": header_cases,
        "groups": group_cases,
    }


# ---------------------------------------------------------------------------------------
# Duration ranges (specification sections 4.4, 7.4 and 7.5)
# ---------------------------------------------------------------------------------------
# The receiver's clock in the not-before cases: a not_before_ms is a time, checked against
# now + max_delay_ms, so its cases are given relative to this reading.
DURATIONS_NOW_MS = 1767225600000  # 2026-01-01T00:00:00Z

# Each duration field a client sends: where it lives in the registry, the path a broker names in
# its `invalid` error, and its range. `from_now` marks a time whose range is relative to the clock.
DURATION_FIELDS: list[dict[str, Any]] = [
    {"field": "PublishMessage.ttl_ms", "error_field": "ttl_ms", "min": 1, "max": "max_ttl_ms"},
    {"field": "PublishMessage.delay_ms", "error_field": "delay_ms", "min": 0, "max": "max_delay_ms"},
    {"field": "PublishMessage.not_before_ms", "error_field": "not_before_ms", "min": 0, "max": "max_delay_ms",
     "from_now": True},
    {"field": "DeclareQueue.default_ttl_ms", "error_field": "default_ttl_ms", "min": 1, "max": "max_ttl_ms"},
    {"field": "DeclareQueue.lease_ms", "error_field": "lease_ms", "min": "min_lease_ms", "max": "max_lease_ms"},
    {"field": "NackItem.delay_ms", "error_field": "items.delay_ms", "min": 0, "max": "max_delay_ms"},
    {"field": "NackItem.not_before_ms", "error_field": "items.not_before_ms", "min": 0, "max": "max_delay_ms",
     "from_now": True},
    {"field": "LeaseExtension.extend_ms", "error_field": "items.extend_ms", "min": 1, "max": "max_lease_ms"},
    {"field": "Retention.max_age_ms", "error_field": "retention.max_age_ms", "min": 1, "max": "max_retention_age_ms"},
]


def _limit(value: int | str) -> int:
    return value if isinstance(value, int) else LIMITS[value]


def _registry_type(path: str) -> str:
    owner, name = path.split(".")
    fields = PROTOCOL["records"].get(owner) or next(op["fields"] for op in PROTOCOL["ops"] if op["name"] == owner)
    return next(f["type"] for f in fields if f["name"] == name)


def durations() -> dict[str, Any]:
    fields = []
    cases = []
    for spec in DURATION_FIELDS:
        assert _registry_type(spec["field"]) == "u64", spec["field"]
        low, high = _limit(spec["min"]), _limit(spec["max"])
        from_now = spec.get("from_now", False)
        fields.append({
            "field": spec["field"], "error_field": spec["error_field"],
            "min": str(low), "max": str(high),
            "min_limit": spec["min"] if isinstance(spec["min"], str) else None,
            "max_limit": spec["max"],
            "from_now": from_now,
        })
        owner, name = spec["field"].split(".")
        stem = "".join(f"-{c.lower()}" if c.isupper() else c for c in owner).lstrip("-") + "/" + name.replace("_", "-")
        base = DURATIONS_NOW_MS if from_now else 0
        what = "now + " if from_now else ""

        def case(suffix: str, value: int, valid: bool, comment: str) -> None:
            assert 0 <= value < 2**64
            expected = from_now and value <= base + high or not from_now and low <= value <= high
            assert expected == valid, (spec["field"], suffix)
            cases.append({"id": f"{stem}/{suffix}", "field": spec["field"], "value": str(value), "valid": valid,
                          "reason": None if valid else "out_of_range", "comment": comment})

        if from_now:
            case("past", 0, True, "A time in the past (the epoch) means at once.")
            case("now", base, True, "The receiver's own clock reading.")
        elif low > 0:
            case("below-min", low - 1, False, f"One below the minimum of {low} ms.")
            case("min", low, True, f"The minimum, {low} ms.")
        else:
            case("zero", 0, True, "No delay at all.")
        case("max", base + high, True, f"The largest allowed: {what}{spec['max']} ({high} ms).")
        case("max-plus-one", base + high + 1, False, f"One past {what}{spec['max']}.")
        case("js-safe-max", 2**53 - 1, False, "2^53-1, the largest integer a JavaScript number holds exactly.")
        case("two-pow-63", 2**63, False, "2^63: past the signed 64-bit range, so now + value would wrap into the past.")
        case("u64-max", 2**64 - 1, False, "The largest value the u64 can carry.")

    # The broker's answer to a heartbeat proposal, for a broker whose own interval is 10 s (or
    # off): a proposal within 1 s..5 min as it is, any other its own interval. And whether a
    # client may send the proposal at all.
    low, high = LIMITS["min_heartbeat_ms"], LIMITS["max_heartbeat_ms"]
    heartbeats = []

    def proposal(vid: str, proposed: int | None, broker: int, negotiated: int, comment: str) -> None:
        sendable = proposed is None or proposed <= high
        heartbeats.append({"id": f"heartbeat/{vid}", "proposed": None if proposed is None else str(proposed),
                           "broker_interval": str(broker), "sendable": sendable, "negotiated": str(negotiated),
                           "comment": comment})

    proposal("absent", None, 10000, 10000, "No proposal: the broker's own interval.")
    proposal("absent-broker-off", None, 0, 0, "No proposal and a broker with heartbeats off: none.")
    proposal("zero", 0, 10000, 10000, "0 leaves the choice to the broker.")
    proposal("one-ms", 1, 10000, 10000, "Below the minimum: the broker's own interval.")
    proposal("below-min", low - 1, 10000, 10000, "One below the minimum: the broker's own interval.")
    proposal("min", low, 10000, low, "The minimum, 1 s.")
    proposal("in-range", 5000, 10000, 5000, "A proposal in range is taken as it is.")
    proposal("in-range-broker-off", 5000, 0, 5000, "A proposal in range is taken even when the broker's own interval is off.")
    proposal("max", high, 10000, high, "The maximum, 5 minutes.")
    proposal("max-plus-one", high + 1, 10000, 10000, "One past the maximum: the broker's own interval; a client does not send it.")
    proposal("two-pow-63", 2**63, 10000, 10000, "2^63: the broker's own interval.")
    proposal("u64-max", 2**64 - 1, 10000, 10000, "The largest u64: the broker's own interval.")
    proposal("u64-max-broker-off", 2**64 - 1, 0, 0, "The largest u64 to a broker with heartbeats off: none.")

    # The interval a client runs with, given HelloOk.heartbeat_ms.
    announced = []
    for vid, value, used, comment in [
        ("off", 0, 0, "0: heartbeats off."),
        ("short", 250, 250, "A broker may configure an interval below the proposal minimum."),
        ("max", high, high, "The maximum, 5 minutes."),
        ("max-plus-one", high + 1, high, "Past the maximum: the client uses 5 minutes."),
        ("u64-max", 2**64 - 1, high, "The largest u64: the client uses 5 minutes."),
    ]:
        announced.append({"id": f"hello-ok-heartbeat/{vid}", "announced": str(value), "used": str(used), "comment": comment})

    return {
        "schema": SCHEMA_ID,
        "description": "The range of every duration a client sends, the broker's answer to a heartbeat proposal and the client's reading of the heartbeat it is given.",
        "now_ms": str(DURATIONS_NOW_MS),
        "fields": fields,
        "durations": cases,
        "heartbeats": heartbeats,
        "hello_ok_heartbeats": announced,
    }


# ---------------------------------------------------------------------------------------
FRAME_FILES = {
    "connection.json": ("Handshake, heartbeats, close, drain notice, Ok and Error.", connection),
    "queues.json": ("Queue declaration, publishing, subscriptions, deliveries and settlement.", queues),
    "streams.json": ("Stream declaration and stream subscriptions.", streams),
    "cluster.json": ("Topology, resume reconciliation and consumer-group assignment.", cluster),
    "decoding.json": ("Valid but non-canonical frames that a decoder must accept; re-encoding yields canonical_hex.", decoding),
    "negative.json": ("Malformed frames and the decode error kind each must produce.", negative),
}

TAG_NOTES = {
    "OptionalAbsent": "Every optional field is absent (written as nil).",
    "OptionalPresent": "Every optional field is present.",
    "Unicode": "Strings carry non-ASCII text, including characters outside the Basic Multilingual Plane.",
    "EdgeValue": "A value at the edge of its range (u32 or u64 maximum).",
    "EmptyPayload": "A zero-length payload.",
    "LargePayload": "A payload too big to store as hex: a byte template here, a sidecar file in the expanded companion.",
    "ManyHeaders": "The default maximum number of headers.",
    "NonCanonical": "Valid input a decoder accepts, whose canonical re-encoding (canonical_hex) differs; hex_sha256 pins the input bytes, including those inside fields a decoder skips.",
    "ExtraFields": "Fields appended by a newer protocol revision, which a decoder ignores.",
    "OmittedOptionals": "Trailing optional fields left out instead of written as nil.",
    "NonMinimalEncoding": "Integers or strings in a wider MessagePack form than necessary.",
    "UnsortedMap": "String-map pairs not in key order.",
    "LimitBoundary": "At or just past a limit.",
    "Precedence": "Two problems in one value: pins which one a decoder reports.",
}


def frame_file(description: str, vectors: list[dict[str, Any]]) -> dict[str, Any]:
    used = sorted({t for v in vectors for t in v["tags"]})
    return {
        "schema": SCHEMA_ID,
        "protocol_version": 1,
        "description": description,
        "max_frame_bytes": MAX_FRAME,
        "notes": {t: TAG_NOTES[t] for t in used},
        "count": len(vectors),
        "vectors": vectors,
    }


def render(data: dict[str, Any]) -> str:
    """Readable UTF-8 JSON, except that invisible characters (controls, format characters and
    every space other than U+0020) are written as \\u escapes so an editor cannot lose them."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    assert all(ord(c) <= 0xFFFF for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp"))
    return "".join(
        f"\\u{ord(c):04x}" if c != " " and unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp") and c != "\n"
        else c
        for c in text) + "\n"


def outputs() -> dict[Path, str | bytes]:
    files: dict[Path, str | bytes] = {}
    seen: set[str] = set()
    expander = Expander(PROTOCOL)
    for name, (description, build) in FRAME_FILES.items():
        vectors = build()
        for v in vectors:
            assert v["id"] not in seen, v["id"]
            seen.add(v["id"])
        document = frame_file(description, vectors)
        files[VECTORS / "frames" / name] = render(document)
        files[EXPANDED / name] = render(expander.document(name, document))
    for path, data in expander.sidecars.items():
        files[EXPANDED / path] = data
    files[VECTORS / "partitioning.json"] = render(partitioning())
    files[VECTORS / "names.json"] = render(names())
    files[VECTORS / "durations.json"] = render(durations())
    return files


def strays(files: dict[Path, str | bytes]) -> list[Path]:
    """Files under frames/expanded the generator did not write: a companion or sidecar left
    behind by a removed vector would otherwise go on being loaded."""
    return sorted(path for path in EXPANDED.rglob("*") if path.is_file() and path not in files)


def stale_reason(path: Path, content: str | bytes) -> str | None:
    """Why the file on disk is not what the generator writes, or None when it is."""
    if not path.is_file():
        return "missing"
    if isinstance(content, bytes):
        return None if path.read_bytes() == content else "differs"
    current = path.read_text(encoding="utf-8")
    if current == content:
        return None
    # Sidecars are only named above; a text file shows what changed.
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), content.splitlines(True),
                                               str(path.relative_to(ROOT)), "generated", n=1))
    return "differs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = parser.parse_args()
    files = outputs()
    stale = []
    for path, content in files.items():
        if args.check:
            reason = stale_reason(path, content)
            if reason is not None:
                stale.append(path)
                print(f"{reason}: {path.relative_to(ROOT)}")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for path in strays(files):
        if args.check:
            stale.append(path)
            print(f"not written by the generator: {path.relative_to(ROOT)}")
        else:
            path.unlink()
            print(f"removed {path.relative_to(ROOT)}")
    if stale:
        print(f"{len(stale)} vector file(s) differ from the generator; run tools/vectorgen/generate.py", file=sys.stderr)
        return 1
    if args.check:
        print("wire vectors match the generator")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
