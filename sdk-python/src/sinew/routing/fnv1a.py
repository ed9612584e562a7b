"""FNV-1a 64 key hashing: the partition a key routes to, modulo the partition count.

Clients and brokers must compute exactly the same partition for a key (section 8.2 of the
specification), so this is the one hash every Sinew implementation uses.
"""

from __future__ import annotations

from typing import Final

from sinew.wire.limits import MAX_U32

__all__ = ["FNV1A64_OFFSET_BASIS", "FNV1A64_PRIME", "fnv1a64", "partition_for_key"]

FNV1A64_OFFSET_BASIS: Final = 0xCBF2_9CE4_8422_2325
FNV1A64_PRIME: Final = 0x0000_0100_0000_01B3
_U64_MASK: Final = 0xFFFF_FFFF_FFFF_FFFF


def fnv1a64(key: bytes | bytearray | memoryview | str) -> int:
    """The FNV-1a 64-bit hash of `key`; a str is hashed as its UTF-8 bytes."""
    data = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    hash_value = FNV1A64_OFFSET_BASIS
    for byte in data:
        hash_value = ((hash_value ^ byte) * FNV1A64_PRIME) & _U64_MASK
    return hash_value


def partition_for_key(key: bytes | bytearray | memoryview | str, partitions: int) -> int:
    """The partition, in `0..partitions - 1`, that messages with this key go to."""
    if isinstance(partitions, bool) or not isinstance(partitions, int):
        raise TypeError(f"partitions must be an int, not {type(partitions).__name__}")
    if not 1 <= partitions <= MAX_U32:
        raise ValueError(f"partitions must be within 1..{MAX_U32}, got {partitions}")
    return fnv1a64(key) % partitions
