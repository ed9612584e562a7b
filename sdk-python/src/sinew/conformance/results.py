"""Writing a conformance answer: receipts, deliveries and errors as the runner reads them
(`conformance/DRIVERS.md` of the Sinew repository)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from sinew.conformance.arguments import Result
from sinew.delivery import Delivery
from sinew.errors import (
    BrokerError,
    InvalidArgumentError,
    SinewConnectionError,
    SinewError,
    SubscriptionEndedError,
)
from sinew.options import DeadLetterKind
from sinew.publish_receipt import PublishReceipt

__all__ = ["delivery_result", "error_result", "kind_name", "receipt_result", "unix_ms"]

_TYPE_NAMES: Final[Mapping[type[SinewError], str]] = {SinewConnectionError: "ConnectionError"}
"""Python names that differ from the shared ones: the prefix keeps the builtin
`ConnectionError` from being shadowed."""


def unix_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def receipt_result(receipt: PublishReceipt) -> Result:
    return {
        "partition": receipt.partition,
        "offset": str(receipt.offset),
        "duplicate": receipt.duplicate,
    }


def delivery_result(delivery: Delivery, received_at_ms: int) -> Result:
    try:
        text: str | None = delivery.payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None  # not UTF-8: only the base64 form is reported
    return {
        "payload_base64": base64.b64encode(delivery.payload).decode("ascii"),
        "payload_text": text,
        "text": delivery.text(),
        "is_settled": delivery.is_settled,
        "content_type": delivery.content_type,
        "headers": dict(delivery.headers),
        "offset": str(delivery.offset),
        "partition": delivery.partition,
        "attempt": delivery.attempt,
        "failures": delivery.failures,
        "max_retries": delivery.max_retries,
        "is_last_attempt": delivery.is_last_attempt,
        "published_at_ms": unix_ms(delivery.published_at),
        "received_at_ms": received_at_ms,
    }


def error_result(error: BaseException) -> Result:
    """The error as the runner sees it: the class name (as every client names it), the
    stable code, the retryable flag and the message, plus the machine-readable parts each kind
    carries."""
    if not isinstance(error, SinewError):
        described = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return {
            "type": "Unexpected",
            "code": "unexpected",
            "retryable": False,
            "message": described,
        }
    result: Result = {
        "type": _TYPE_NAMES.get(type(error), type(error).__name__),
        "code": error.code,
        "retryable": error.is_retryable,
        "message": error.message,
    }
    if isinstance(error, BrokerError):
        result["broker_code"] = error.broker_code
        result["details"] = dict(error.details)
    elif isinstance(error, InvalidArgumentError):
        result["argument"] = error.argument
        result["reason"] = error.reason
    elif isinstance(error, SubscriptionEndedError):
        result["reason"] = error.reason.value
    return result


def kind_name(kind: DeadLetterKind) -> str:
    return kind.name.lower()
