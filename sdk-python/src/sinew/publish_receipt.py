"""`PublishReceipt`: where a confirmed message was stored."""

from __future__ import annotations

from dataclasses import dataclass

from sinew.wire.messages import PublishResult

__all__ = ["PublishReceipt"]


@dataclass(frozen=True, slots=True)
class PublishReceipt:
    """The broker's confirmation that a message is durable (fsynced)."""

    partition: int
    offset: int
    duplicate: bool = False
    """True when the broker had already stored this (producer id, sequence): the partition
    and offset are those of the original."""

    @classmethod
    def from_wire(cls, result: PublishResult) -> PublishReceipt:
        return cls(partition=result.partition, offset=result.offset, duplicate=result.duplicate)
