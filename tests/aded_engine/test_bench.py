"""The benchmark's arithmetic: a method's tally adds replies' counts and reports their rates;
and one short run of the editing set."""

import json

import pytest

from aded_engine.bench import Tally, measure_table_load, repeated_tokens
from aded_engine.bench import main as bench_main
from aded_engine.decode import ReplyStats


def test_tally_sums_reply_counts_and_reports_rates():
    total = Tally()
    for tokens, seconds in ((30, 1.0), (10, 1.0)):
        reply = Tally()
        reply.add(ReplyStats(tokens=tokens, seconds=seconds, calls=10, nodes=20, accepted=5,
                             draft_ms=100.0, verify_ms=900.0))
        reply.agreement.append(tokens / 30)
        reply.repeated = tokens // 10
        total.add(reply)
    plain = Tally(tokens=20, seconds=2.0, calls=20)
    r = total.report(plain)
    assert (r["tokens"], r["seconds"]) == (40, 2.0)
    assert r["tokens_per_s"] == 20.0 and r["speedup_vs_ar"] == 2.0
    assert r["tokens_per_call"] == 2.0 and r["acceptance_rate"] == 0.25
    assert r["draft_share"] == 0.1 and r["agreement_with_ar"] == pytest.approx(0.667)
    assert r["repetition"] == 0.1  # (3 + 1) repeated of 40 tokens


@pytest.mark.parametrize("tokens, n, expected", [
    ([1, 2, 3, 4, 5, 6], 3, 0),  # nothing repeats
    ([1, 2, 3, 1, 2, 3, 9], 3, 3),  # the second "1 2 3"
    ([7, 7, 7, 7, 7], 3, 4),  # a loop: all but the first token
    ([1, 2, 3, 1, 2, 4], 3, 0),  # a repeated bigram is not a repeated trigram
    ([5, 1, 2, 3, 1, 2, 3, 1, 2, 3], 3, 6),  # the loop from its second "1 2 3" on
    ([1, 2], 8, 0),  # shorter than one n-gram
])
def test_repeated_tokens_literal(tokens, n, expected):
    assert repeated_tokens(tokens, n) == expected


def test_rates_of_nothing_are_reported_as_absent():
    r = Tally(tokens=5, seconds=1.0).report(None)
    assert r["speedup_vs_ar"] is None and r["tokens_per_call"] is None
    assert r["acceptance_rate"] is None and r["agreement_with_ar"] is None
    assert Tally().report(None)["repetition"] is None


def test_table_load_measurement_reports_a_real_table():
    r = measure_table_load(20_000)
    assert r["history_tokens"] == 20_000 and r["entries"] > 1_000
    assert r["file_mb"] > 0 and r["load_s"] > 0


def test_the_editing_set_runs_both_categories(tmp_path):
    out = tmp_path / "edit.json"
    assert bench_main(["--model", "smollm2-135m", "--set", "code-edit", "--limit", "2", "--turns", "1", "--max-tokens", "8",
                       "--methods", "ar,aded", "--threads", "2", "--ctx", "2048",
                       "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["methods"]["aded"]["by_category"]) == {"code-edit", "rewrite"}
    assert all(p["outputs"]["aded"]["output_tokens"] for p in result["prompts"])


def test_a_run_that_other_programs_loaded_says_so():
    from aded_engine.bench import _load_words
    quiet = {"load_average": [0.8, 1.9], "threads": 2, "background": "none"}
    busy = {"load_average": [0.8, 4.1], "threads": 2, "background": "none"}
    spun = {"load_average": [0.8, 3.1], "threads": 2, "background": "spin"}
    assert "other programs" not in _load_words(quiet) + _load_words(spun)
    assert "other programs loaded the machine" in _load_words(busy)
