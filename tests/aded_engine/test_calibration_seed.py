"""The starting calibration shipped per catalog model: weighed down so the user's replies
take over, used only where nothing was saved, and a damaged or missing seed is a fresh
start."""

import json
import subprocess
import sys

import numpy as np
import pytest

from aded_engine import calibration_seed
from aded_engine.backend import LlamaVocab
from aded_engine.calibration_seed import SEED_TRIALS, seeded_calibration
from aded_engine.catalog import DEFAULT_MODEL
from aded_engine.cost import AcceptanceCalibration
from aded_engine.learned_tables import LearnedTables


def test_the_default_model_ships_both_calibrations_weighed_down():
    seeds = json.loads(calibration_seed.SEED_FILE.read_text())
    for kind in ("", ":sampled"):
        entry = f"{DEFAULT_MODEL.file_name}:{DEFAULT_MODEL.size}{kind}"
        shipped = AcceptanceCalibration()
        assert shipped.load_json(seeds[entry])
        seeded = seeded_calibration(entry)
        assert 0 < seeded.tried.max() <= SEED_TRIALS < shipped.tried.max()
        tried = seeded.tried > 0
        np.testing.assert_allclose(seeded.accepted[tried] / seeded.tried[tried],
                                   shipped.accepted[tried] / shipped.tried[tried])


def test_a_model_without_a_seed_starts_fresh():
    assert seeded_calibration("no-such-model.gguf:1").tried.sum() == 0


@pytest.fixture
def seed_file(tmp_path, monkeypatch):
    path = tmp_path / "calibration_seeds.json"
    monkeypatch.setattr(calibration_seed, "SEED_FILE", path)
    return path


def test_the_seed_is_used_until_the_user_has_a_calibration(demo_model_path, seed_file):
    vocab = LlamaVocab(demo_model_path)
    tables = LearnedTables(vocab)
    seed = AcceptanceCalibration()
    for _ in range(50):
        seed.observe(0.9, 12, True)
    seed_file.write_text(json.dumps({tables.calibration_entry(True): seed.to_json()}))
    assert tables.load_calibration(sampled=False).tried.sum() == 0  # greedy has no seed here
    assert tables.load_calibration(sampled=True).tried.sum() == SEED_TRIALS
    mine = AcceptanceCalibration()
    mine.observe(0.5, 0, False)
    tables.save_calibration(mine, sampled=True)
    assert tables.load_calibration(sampled=True).tried.sum() == 1
    tables.reset()  # forgetting what was learned here goes back to the shipped start
    assert tables.load_calibration(sampled=True).tried.sum() == SEED_TRIALS
    vocab.close()


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"m:1": {"tried": [[-1]]}}'])
def test_a_damaged_seed_file_is_a_fresh_start(seed_file, content):
    seed_file.write_text(content)
    assert seeded_calibration("m:1").tried.sum() == 0


def test_making_a_seed_decodes_unasked_questions_greedy_and_sampled(demo_model_path, tmp_path):
    out = tmp_path / "seeds.json"
    out.write_text(json.dumps({"other.gguf:1": AcceptanceCalibration().to_json()}))
    subprocess.run([sys.executable, "-m", "aded_engine.calibration_seed", "--model",
                    str(demo_model_path), "--max-tokens", "24", "--out", str(out)],
                   check=True, capture_output=True, timeout=600)
    seeds = json.loads(out.read_text())
    entry = f"{demo_model_path.name}:{demo_model_path.stat().st_size}"
    assert set(seeds) == {"other.gguf:1", entry, entry + ":sampled"}  # added, others kept
    for kind in (entry, entry + ":sampled"):
        made = AcceptanceCalibration()
        assert made.load_json(seeds[kind]) and made.tried.sum() > 0
