"""The acceptance calibration a catalog model starts with, and how it is made.

A fresh calibration knows nothing: every cell starts at the table's own estimate plus an
exploration bonus, so the first replies on a new install draft nodes the verifier mostly
refuses, and on a CPU where each batch row costs most of a plain step (2-core AMD EPYC,
Qwen2.5-Coder-0.5B: 2 rows 1.84x one row) the first reply ran slower than plain decoding
(17 drafted, 0 accepted, 0.91x). How often a model accepts drafts at a given estimate and
evidence is a property of the model and the table, not of the user's words, so the catalog's
models ship the calibration of a few dozen replies to MT-Bench questions that the benchmarks
do not ask. It counts as at most ``SEED_TRIALS`` replies' worth per cell: the user's own
replies take over within a conversation or two.

Made with ``python -m aded_engine.calibration_seed --model NAME`` (adds to ``SEED_FILE``;
about 5 minutes for Qwen2.5-Coder-0.5B on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from .cost import AcceptanceCalibration

SEED_FILE = Path(__file__).parent / "data" / "calibration_seeds.json"
SEED_TRIALS = 20.0  # the weight of a shipped cell, in trials
# MT-Bench lists ten questions per category; ``aded-bench --limit N`` takes them in turn
# from the first, so the last ones are never asked by a benchmark of up to 48 questions
TRAINING_QUESTIONS = range(6, 10)


def seeded_calibration(entry: str) -> AcceptanceCalibration:
    """The shipped starting calibration for a calibration entry ("<file>:<size>[:sampled]"),
    its cells weighed down to ``SEED_TRIALS``; a fresh one for a model without a seed."""
    calibration = AcceptanceCalibration()
    try:
        seed = json.loads(SEED_FILE.read_text()).get(entry)
    except (OSError, ValueError, AttributeError):
        seed = None
    if seed is not None and calibration.load_json(seed):
        scale = np.minimum(1.0, SEED_TRIALS / np.maximum(calibration.tried, 1.0))
        calibration.tried *= scale
        calibration.accepted *= scale
    return calibration


def main(argv: list[str] | None = None) -> int:
    from .bench import DEFAULT_PROMPTS
    from .models import resolve_model
    from .paths import set_data_dir
    from .sampling import CHAT_SAMPLING
    from .session import ChatSession

    p = argparse.ArgumentParser(prog="python -m aded_engine.calibration_seed",
                                description="Decode MT-Bench questions the benchmarks do not ask, "
                                "greedy and sampled, and keep the model's calibrations in "
                                f"{SEED_FILE.name}.")
    p.add_argument("--model", required=True, help="a catalog name or a GGUF file")
    p.add_argument("--max-tokens", type=int, default=192)
    p.add_argument("--out", type=Path, default=SEED_FILE, help="the seed file to add to")
    args = p.parse_args(argv)
    rows = [json.loads(line) for line in DEFAULT_PROMPTS.read_text().splitlines() if line.strip()]
    by_category: dict[str, list[dict]] = {}
    for row in rows:
        by_category.setdefault(row["category"], []).append(row)
    questions = [group[i] for group in by_category.values() for i in TRAINING_QUESTIONS
                 if i < len(group)]
    with tempfile.TemporaryDirectory() as data:
        set_data_dir(data)  # a fresh calibration, and nothing of the user's touched
        session = ChatSession(str(resolve_model(args.model)))
        seeds = {}
        for sampled in (False, True):  # from nothing, not from an earlier seed
            session.tables.save_calibration(AcceptanceCalibration(), sampled)
        for sampled, sampling in ((False, replace(CHAT_SAMPLING, temperature=0.0,
                                                  repeat_penalty=1.0)), (True, CHAT_SAMPLING)):
            sampling = replace(sampling, max_tokens=args.max_tokens, seed=0)
            for q in questions:
                session.generate([{"role": "user", "content": q["turns"][0]}], sampling)
            entry = session.tables.calibration_entry(sampled)
            seeds[entry] = session.tables.load_calibration(sampled).to_json()
            print(f"{entry}: {len(questions)} replies")
        session.close()
    known = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.write_text(json.dumps({**known, **seeds}, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
