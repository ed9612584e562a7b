"""Partition routing against wire-vectors/partitioning.json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from vector_support import TALLY, partitioning_vectors, wire_vectors_dir

from sinew.routing import FNV1A64_OFFSET_BASIS, FNV1A64_PRIME, fnv1a64, partition_for_key


@pytest.mark.parametrize("vector", partitioning_vectors(), ids=lambda vector: vector["id"])
def test_fnv1a64_and_partition_for_key_match_the_vector(vector: dict[str, Any]) -> None:
    key = bytes.fromhex(vector["key_hex"])
    expected_hash = int(vector["fnv1a64"])
    assert fnv1a64(key) == expected_hash
    assert fnv1a64(bytearray(key)) == expected_hash
    if vector["key_utf8"] is not None:
        assert vector["key_utf8"].encode("utf-8") == key
        assert fnv1a64(vector["key_utf8"]) == expected_hash
    for case in vector["partitions"]:
        assert partition_for_key(key, case["count"]) == case["partition"], case
        if vector["key_utf8"] is not None:
            assert partition_for_key(vector["key_utf8"], case["count"]) == case["partition"], case
    TALLY.partitioning += 1


def test_fnv1a64_parameters_match_the_vector_file() -> None:
    content = json.loads((wire_vectors_dir() / "partitioning.json").read_text("utf-8"))
    algorithm = content["algorithm"]
    assert int(algorithm["offset_basis"]) == FNV1A64_OFFSET_BASIS
    assert int(algorithm["prime"]) == FNV1A64_PRIME


@pytest.mark.parametrize("partitions", [0, -1, 2**32])
def test_partition_for_key_refuses_a_partition_count_outside_u32(partitions: int) -> None:
    with pytest.raises(ValueError):
        partition_for_key(b"key", partitions)
