"""The codec against every frame vector: encode, decode and re-encode, or the expected error."""

from __future__ import annotations

import random

import pytest
from vector_support import (
    TALLY,
    FrameFile,
    FrameVector,
    check_positive,
    frame_files,
    negative_vectors,
    positive_case,
    positive_vectors,
)

from sinew.wire import DecodeErrorKind, Frame, FrameDecodeError, FrameReader, decode_frame
from sinew.wire.decode_error import HEADER_ONLY_KINDS
from sinew.wire.frame_header import HEADER_SIZE

POSITIVE = positive_vectors()
NEGATIVE = negative_vectors()
FILES_WITH_POSITIVES = [f for f in frame_files() if any(v.file == f.name for v in POSITIVE)]

# Frames this long are fed to a reader at sampled offsets only: every offset of a 1 MiB frame
# would mean a million decodes of it.
SAMPLE_ABOVE_BYTES = 4096
SAMPLE_EDGE_BYTES = 64
SAMPLE_RANDOM_OFFSETS = 64
SAMPLE_SEED = 251


def _vector_id(vector: FrameVector) -> str:
    return vector.id


def _file_name(frame_file: FrameFile) -> str:
    return frame_file.name


def _decoded(vector: FrameVector) -> Frame:
    return decode_frame(bytes.fromhex(vector.data["hex"]), max_frame_bytes=vector.max_frame_bytes)


def _split_offsets(length: int) -> list[int]:
    """Where to cut a frame in two: everywhere, or a fixed sample of a long frame."""
    if length <= SAMPLE_ABOVE_BYTES:
        return list(range(1, length))
    body_start = HEADER_SIZE
    chosen = set(range(1, body_start + SAMPLE_EDGE_BYTES + 1))
    chosen |= set(range(length - SAMPLE_EDGE_BYTES, length))
    chosen |= set(random.Random(SAMPLE_SEED).sample(range(1, length), SAMPLE_RANDOM_OFFSETS))
    return sorted(chosen)


@pytest.mark.parametrize("vector", POSITIVE, ids=_vector_id)
def test_positive_vector_encodes_decodes_and_reencodes_byte_exact(vector: FrameVector) -> None:
    TALLY.executed.add(vector.id)
    result = check_positive(positive_case(vector.id))
    assert result.crashes == []
    assert result.failures == []
    if vector.is_non_canonical:
        TALLY.non_canonical_passed.add(vector.id)
    else:
        TALLY.positive_passed.add(vector.id)
    TALLY.ops_passed.add(vector.data["op"])


@pytest.mark.parametrize("vector", NEGATIVE, ids=_vector_id)
def test_negative_vector_raises_its_decode_error_kind(vector: FrameVector) -> None:
    TALLY.executed.add(vector.id)
    with pytest.raises(FrameDecodeError) as raised:
        decode_frame(bytes.fromhex(vector.data["hex"]), max_frame_bytes=vector.max_frame_bytes)
    assert raised.value.kind == vector.data["error"]
    assert isinstance(raised.value.kind, DecodeErrorKind)
    TALLY.negative_passed.add(vector.id)


@pytest.mark.parametrize("vector", POSITIVE, ids=_vector_id)
def test_frame_reader_fed_one_byte_at_a_time_yields_the_decoded_frame(vector: FrameVector) -> None:
    data = bytes.fromhex(vector.data["hex"])
    reader = FrameReader(max_frame_bytes=vector.max_frame_bytes)
    cuts = _split_offsets(len(data))
    pieces = [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    for piece in pieces[:-1]:
        reader.feed(piece)
        assert reader.next_frame() is None
    reader.feed(pieces[-1])
    assert reader.next_frame() == _decoded(vector)
    assert reader.buffered_bytes == 0
    assert reader.next_frame() is None
    reader.finish()


@pytest.mark.parametrize("vector", POSITIVE, ids=_vector_id)
def test_frame_reader_split_at_any_offset_yields_the_decoded_frame(vector: FrameVector) -> None:
    data = bytes.fromhex(vector.data["hex"])
    expected = _decoded(vector)
    for offset in _split_offsets(len(data)):
        reader = FrameReader(max_frame_bytes=vector.max_frame_bytes)
        reader.feed(data[:offset])
        assert reader.next_frame() is None, offset
        reader.feed(data[offset:])
        assert reader.next_frame() == expected, offset


@pytest.mark.parametrize("frame_file", FILES_WITH_POSITIVES, ids=_file_name)
def test_frame_reader_splits_back_to_back_frames_in_order(frame_file: FrameFile) -> None:
    vectors = [vector for vector in POSITIVE if vector.file == frame_file.name]
    stream = b"".join(bytes.fromhex(vector.data["hex"]) for vector in vectors)
    reader = FrameReader(max_frame_bytes=vectors[0].max_frame_bytes)
    frames: list[Frame] = []
    chunk = 7  # prime, so chunk edges fall at a different place in every frame
    for start in range(0, len(stream), chunk):
        reader.feed(stream[start : start + chunk])
        while (frame := reader.next_frame()) is not None:
            frames.append(frame)
    reader.finish()
    assert frames == [_decoded(vector) for vector in vectors]


@pytest.mark.parametrize("vector", NEGATIVE, ids=_vector_id)
def test_frame_reader_reports_the_same_error_as_decode_frame(vector: FrameVector) -> None:
    data = bytes.fromhex(vector.data["hex"])
    reader = FrameReader(max_frame_bytes=vector.max_frame_bytes)
    reader.feed(data)
    if not data:
        # A stream that ends between frames ended cleanly; only a partial frame is truncated.
        assert reader.next_frame() is None
        reader.finish()
        return
    with pytest.raises(FrameDecodeError) as raised:
        if reader.next_frame() is None:
            reader.finish()
    assert raised.value.kind == vector.data["error"]


@pytest.mark.parametrize(
    "vector",
    [vector for vector in NEGATIVE if vector.data["error"] in HEADER_ONLY_KINDS],
    ids=_vector_id,
)
def test_frame_reader_rejects_a_bad_header_before_the_body_arrives(vector: FrameVector) -> None:
    header = bytes.fromhex(vector.data["hex"])[:HEADER_SIZE]
    reader = FrameReader(max_frame_bytes=vector.max_frame_bytes)
    for byte in header[:-1]:
        reader.feed(bytes([byte]))
        assert reader.next_frame() is None
    reader.feed(header[-1:])
    with pytest.raises(FrameDecodeError) as raised:
        reader.next_frame()
    assert raised.value.kind == vector.data["error"]
    # The stream cannot be resynchronised after a bad header: the error sticks.
    reader.feed(bytes.fromhex(POSITIVE[0].data["hex"]))
    with pytest.raises(FrameDecodeError) as again:
        reader.next_frame()
    assert again.value.kind == vector.data["error"]


@pytest.mark.parametrize(
    "vector",
    [vector for vector in NEGATIVE if vector.data["error"] == DecodeErrorKind.UNKNOWN_OPCODE],
    ids=_vector_id,
)
def test_frame_reader_skips_an_unknown_opcode_and_reads_on(vector: FrameVector) -> None:
    following = POSITIVE[0]
    reader = FrameReader(max_frame_bytes=vector.max_frame_bytes)
    reader.feed(bytes.fromhex(vector.data["hex"]) + bytes.fromhex(following.data["hex"]))
    with pytest.raises(FrameDecodeError) as raised:
        reader.next_frame()
    assert raised.value.kind == DecodeErrorKind.UNKNOWN_OPCODE
    assert raised.value.header is not None
    assert reader.next_frame() == _decoded(following)


@pytest.mark.parametrize(
    "vector",
    [
        vector
        for vector in NEGATIVE
        if vector.data["hex"]
        and (
            vector.data["error"] in HEADER_ONLY_KINDS
            or vector.data["error"]
            in (DecodeErrorKind.TRUNCATED_HEADER, DecodeErrorKind.TRUNCATED_BODY)
        )
    ],
    ids=_vector_id,
)
def test_frame_reader_finish_reports_an_incomplete_or_bad_frame(vector: FrameVector) -> None:
    reader = FrameReader(max_frame_bytes=vector.max_frame_bytes)
    reader.feed(bytes.fromhex(vector.data["hex"]))
    with pytest.raises(FrameDecodeError) as raised:
        reader.finish()
    assert raised.value.kind == vector.data["error"]
