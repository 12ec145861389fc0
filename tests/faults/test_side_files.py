"""Fault injection, side files: every file the engine reads besides the model (the
calibration, the batch costs, the load verdicts, the tokenizer record, the learned tables)
damaged or crafted. Each is set aside (renamed, kept), said so in words, and the engine
goes on with defaults; a reply still streams."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aded_engine.backend import BackendSettings
from aded_engine.cost import AcceptanceCalibration, curve_from_json
from aded_engine.json_map import read_json_entry, write_json_entry
from aded_engine.paths import cache_dir, tables_dir
from aded_engine.sampling import SamplingSettings
from aded_engine.session import ChatSession, SessionSettings
from aded_engine.set_aside import take_notes
from damaged_tables import damaged_history_table  # tests/


@pytest.mark.parametrize("content, reason", [
    ("not json {", "not a readable record file"),
    ("[1, 2, 3]", "a JSON list, not an object"),
    ("[" * 100_000 + "]" * 100_000, "not a readable record file"),
    ('"just a string"', "a JSON str"),
])
def test_a_damaged_record_file_is_set_aside_and_reads_empty(tmp_path, content, reason):
    path = tmp_path / "batch-cost.json"
    path.write_text(content)
    take_notes()
    assert read_json_entry(path, "key") is None
    notes = take_notes()
    assert len(notes) == 1 and reason in notes[0]
    assert "set aside as batch-cost.json.corrupt-" in notes[0]
    aside = list(tmp_path.glob("batch-cost.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == content  # kept, never deleted
    write_json_entry(path, "key", {"x": 1})  # a new file, not written over the old one
    assert read_json_entry(path, "key") == {"x": 1}


def test_a_record_file_too_large_to_be_ours_is_not_read(tmp_path):
    path = tmp_path / "acceptance.json"
    path.write_text('{"a": "' + "x" * (17 << 20) + '"}')
    take_notes()
    assert read_json_entry(path, "a") is None
    assert "more than such a file holds" in take_notes()[0]


@pytest.mark.parametrize("entry", [
    {"sizes": [1, 2, 4], "ms": [10.0, 20.0]},  # different lengths: hung the window at Loading
    {"sizes": [1, 2], "ms": [10.0, float("nan")]},
    {"sizes": [1, 2], "ms": [-1.0, 5.0]},
    {"sizes": [1, 2], "ms": [10.0, float("inf")]},
    {"sizes": [2, 4], "ms": [10.0, 20.0]},  # must start at one row
    {"sizes": [1, 4, 2], "ms": [10.0, 20.0, 30.0]},
    {"sizes": [1, 2], "ms": [20.0, 10.0]},  # a bigger batch cheaper than a smaller one
    {"sizes": [1, True], "ms": [10.0, 20.0]},
    {"sizes": "1,2", "ms": [10.0, 20.0]},
    {"sizes": [], "ms": []},
    [1, 2],
])
def test_a_batch_cost_curve_that_could_not_have_been_measured_is_refused(entry):
    assert curve_from_json(entry) is None


def test_a_measured_curve_is_taken():
    curve = curve_from_json({"sizes": [1, 2, 4], "ms": [10, 19.5, 30.0]})
    assert curve.sizes == [1, 2, 4] and curve.predict(3) == pytest.approx(24.75)


@pytest.mark.parametrize("tried, accepted", [
    ("nan", 0.0), (1.0, "nan"), (1.0, -1.0), (1.0, 2.0), ("inf", 1.0),
])
def test_a_calibration_that_does_not_add_up_is_refused(tried, accepted):
    fresh = AcceptanceCalibration()
    cells = fresh.tried.shape
    data = {"tried": [[float(tried)] * cells[1]] * cells[0],
            "accepted": [[float(accepted)] * cells[1]] * cells[0]}
    assert not fresh.load_json(data) and fresh.tried.sum() == 0


def test_every_side_file_damaged_at_once_the_model_still_loads_and_replies(demo_model_path):
    """One load, every file it reads besides the model damaged: the calibration's record
    (NaN), the batch costs and the load verdicts (not record files), the history table
    (truncated)."""
    model = Path(demo_model_path)
    history = damaged_history_table(model)
    calibration = tables_dir() / "acceptance.json"
    calibration.write_text(json.dumps({f"{model.name}:{model.stat().st_size}":
                                       {"tried": [[float("nan")]], "accepted": [[1.0]]}}))
    (cache_dir() / "batch-cost.json").write_text("[13.0, 25.0]")
    (cache_dir() / "load-verdicts.json").write_text('{"mode": "full"')
    take_notes()

    settings = SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2))
    s = ChatSession(demo_model_path, settings)
    problems = "\n".join(s.table_problems)
    for name in ("acceptance.json", "batch-cost.json", "load-verdicts.json", history.name):
        assert f"{name}: " in problems and "set aside as" in problems, (name, problems)
        assert [*tables_dir().glob(f"{name}.corrupt-*"), *cache_dir().glob(f"{name}.corrupt-*")]
    assert len(s.learned.history) == 0 and s.curve.ms[0] > 0
    assert s.proposer.calibration.tried.sum() == 0
    reply = s.generate([{"role": "user", "content": "Say hi."}], SamplingSettings(max_tokens=8))
    assert reply.stats.tokens > 0
    s.close()
