"""The positive-vector check must notice when any byte of a vector's frame is corrupted.

Each byte of `hex` is flipped (xor 0xff) in the decoder's input and each byte of
`canonical_hex` in the expected encoding, one at a time; the check must then report a
failure. A check that still passes would mean the codec ignores part of the frame, or the
check compares too little. (Decoders skip fields appended by a newer revision without
looking inside them; in those bytes it is the vector's `hex_sha256` that notices.)
"""

from __future__ import annotations

import random

import pytest
from vector_support import (
    TALLY,
    FrameFile,
    PositiveCase,
    check_positive,
    frame_files,
    positive_case,
    positive_vectors,
    with_byte_flipped,
)

from sinew.wire.frame_header import HEADER_SIZE

SAMPLE_ABOVE_BYTES = 4096
SAMPLE_EDGE_BYTES = 64
SAMPLE_RANDOM_POSITIONS = 64
SAMPLE_SEED = 251

FILES_WITH_POSITIVES = [
    frame_file
    for frame_file in frame_files()
    if any(vector.file == frame_file.name for vector in positive_vectors())
]


def _positions(length: int) -> list[int]:
    """Every byte position, or for a long frame the header, both ends of the body and a
    fixed random sample."""
    if length <= SAMPLE_ABOVE_BYTES:
        return list(range(length))
    chosen = set(range(HEADER_SIZE + SAMPLE_EDGE_BYTES))
    chosen |= set(range(length - SAMPLE_EDGE_BYTES, length))
    chosen |= set(random.Random(SAMPLE_SEED).sample(range(length), SAMPLE_RANDOM_POSITIONS))
    return sorted(chosen)


def _mutations_of(case: PositiveCase) -> tuple[list[str], list[str], int]:
    """Flip every byte in turn; return (undetected mutations, crashes, detected count)."""
    undetected: list[str] = []
    crashes: list[str] = []
    detected = 0
    for position in _positions(len(case.frame)):
        result = check_positive(case, frame=with_byte_flipped(case.frame, position))
        crashes += [f"{case.vector.id} hex[{position}]: {crash}" for crash in result.crashes]
        if result.failures or result.crashes:
            detected += 1
        else:
            undetected.append(f"{case.vector.id} hex[{position}]")
    if case.vector.is_non_canonical:
        for position in _positions(len(case.canonical)):
            result = check_positive(case, canonical=with_byte_flipped(case.canonical, position))
            crashes += [
                f"{case.vector.id} canonical_hex[{position}]: {crash}" for crash in result.crashes
            ]
            if result.failures or result.crashes:
                detected += 1
            else:
                undetected.append(f"{case.vector.id} canonical_hex[{position}]")
    return undetected, crashes, detected


# Several hundred full decode/encode rounds of the 1 MiB vectors: seconds when idle, over half a
# minute on a busy two-core machine. The limit is a hang guard, not a speed check.
@pytest.mark.time_limit(180)
@pytest.mark.parametrize("frame_file", FILES_WITH_POSITIVES, ids=lambda frame_file: frame_file.name)
def test_flipping_any_byte_of_a_positive_vector_fails_its_check(frame_file: FrameFile) -> None:
    undetected: list[str] = []
    crashes: list[str] = []
    detected = 0
    for vector in positive_vectors():
        if vector.file != frame_file.name:
            continue
        case = positive_case(vector.id)
        assert check_positive(case).failures == [], "the unmutated vector must pass first"
        vector_undetected, vector_crashes, vector_detected = _mutations_of(case)
        undetected += vector_undetected
        crashes += vector_crashes
        detected += vector_detected
    assert crashes == []
    assert undetected == []
    TALLY.mutations += detected
