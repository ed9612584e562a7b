"""`PublishReceipt`: where a confirmed message was stored."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PublishReceipt"]


@dataclass(frozen=True, slots=True)
class PublishReceipt:
    """The broker's confirmation that a message is durable (fsynced)."""

    partition: int
    offset: int
    duplicate: bool = False
    """True when the broker had already stored this (producer id, sequence): the partition
    and offset are those of the original."""
