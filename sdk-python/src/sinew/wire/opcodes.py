"""Opcodes: the number in byte 3 of every frame header that says what the frame is."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Opcode"]


class Opcode(IntEnum):
    """Every opcode of protocol version 1.

    Opcodes are append-only: a number is never reused. Members are named after the op in
    upper snake case (`HelloOk` is `HELLO_OK`).
    """

    HELLO = 0x01
    HELLO_OK = 0x02
    PING = 0x03
    PONG = 0x04
    GOODBYE = 0x05
    GOING_AWAY = 0x06
    OK = 0x07
    ERROR = 0x08
    DECLARE_QUEUE = 0x10
    DECLARE_QUEUE_OK = 0x11
    DECLARE_STREAM = 0x12
    DECLARE_STREAM_OK = 0x13
    PUBLISH = 0x20
    PUBLISH_BATCH = 0x21
    PUBLISH_OK = 0x22
    SUBSCRIBE = 0x30
    SUBSCRIBE_STREAM = 0x31
    SUBSCRIBE_OK = 0x32
    UNSUBSCRIBE = 0x33
    DELIVER = 0x34
    SUBSCRIPTION_CLOSED = 0x35
    ASSIGNMENT_CHANGED = 0x36
    ACK = 0x40
    NACK = 0x41
    EXTEND_LEASE = 0x42
    SETTLE_OK = 0x43
    TOPOLOGY_REQUEST = 0x50
    TOPOLOGY = 0x51
    TOPOLOGY_ACK = 0x52
    RECONCILE = 0x53
    RECONCILE_OK = 0x54
