"""Guards that no vector goes missing: file counts, coverage of ops and error kinds, that
every vector in the files was actually run, and that a sidecar is only read when it matches
its reference."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from vector_support import (
    TALLY,
    FrameFile,
    VectorFormatError,
    all_frame_vectors,
    frame_files,
    load_companion,
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


def test_every_frame_file_is_loaded_from_its_expanded_companion() -> None:
    frames = wire_vectors_dir() / "frames"
    on_disk = sorted(path.name for path in frames.iterdir() if path.is_file())
    assert on_disk == [frame_file.name for frame_file in frame_files()]


def test_a_sidecar_reference_is_read_as_hex_only_when_its_file_matches(tmp_path: Path) -> None:
    (tmp_path / "bytes").mkdir()
    (tmp_path / "bytes" / "blob.bin").write_bytes(b"\x01\x02")
    companion = tmp_path / "companion.json"

    def write(content: bytes) -> None:
        digest = hashlib.sha256(content).hexdigest()
        reference = {"file": "bytes/blob.bin", "length": len(content), "sha256": digest}
        companion.write_text(json.dumps({"vectors": [{"hex": reference}]}), encoding="utf-8")

    write(b"\x01\x03")
    with pytest.raises(VectorFormatError):
        load_companion(companion)
    write(b"\x01\x02")
    assert load_companion(companion) == {"vectors": [{"hex": "0102"}]}


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
