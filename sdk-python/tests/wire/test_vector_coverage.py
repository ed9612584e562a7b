"""Guards that no vector goes missing: file counts, coverage of ops and error kinds, and that
every vector in the files was actually run."""

from __future__ import annotations

from collections import Counter

import pytest
from vector_support import (
    TALLY,
    FrameFile,
    all_frame_vectors,
    frame_files,
    negative_vectors,
    positive_vectors,
    registry,
    wire_vectors_dir,
)

from sinew.wire import DecodeErrorKind

VECTOR_TESTS = (
    "test_positive_vector_encodes_decodes_and_reencodes_byte_exact",
    "test_negative_vector_raises_its_decode_error_kind",
)


def test_every_frame_file_is_loaded() -> None:
    frames = wire_vectors_dir() / "frames"
    on_disk = sorted(path.name for path in frames.iterdir() if path.is_file())
    assert on_disk == [frame_file.name for frame_file in frame_files()]


@pytest.mark.parametrize("frame_file", frame_files(), ids=lambda frame_file: frame_file.name)
def test_frame_file_count_equals_its_number_of_vectors(frame_file: FrameFile) -> None:
    assert frame_file.content["count"] == len(frame_file.vectors)


def test_vector_ids_are_unique_and_each_vector_is_positive_or_negative() -> None:
    ids = Counter(vector.id for vector in all_frame_vectors())
    assert [vector_id for vector_id, seen in ids.items() if seen > 1] == []
    for vector in all_frame_vectors():
        assert ("op" in vector.data) != ("error" in vector.data), vector.id
    assert len(positive_vectors()) + len(negative_vectors()) == len(all_frame_vectors())


def test_every_op_has_a_positive_vector() -> None:
    covered = {vector.data["op"] for vector in positive_vectors()}
    assert [op["name"] for op in registry()["ops"] if op["name"] not in covered] == []


def test_every_decode_error_kind_has_a_negative_vector() -> None:
    covered = {vector.data["error"] for vector in negative_vectors()}
    kinds = [kind["kind"] for kind in registry()["decode_errors"]]
    assert [kind for kind in kinds if kind not in covered] == []
    assert covered <= {kind.value for kind in DecodeErrorKind}


@pytest.mark.run_last
def test_every_vector_in_the_files_was_run(request: pytest.FixtureRequest) -> None:
    every_id = {vector.id for vector in all_frame_vectors()}
    scheduled = {
        item.callspec.id
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.originalname in VECTOR_TESTS
    }
    if not scheduled or TALLY.deselected_tests:
        pytest.skip("the vector tests were not all selected in this run")
    assert sorted(every_id - scheduled) == [], "vectors with no test"
    assert sorted(every_id - TALLY.executed) == [], "vectors whose test did not run"
