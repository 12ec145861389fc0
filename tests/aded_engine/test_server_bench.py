"""aded-bench-server without running servers: its arguments are checked before anything
starts, and its figures are computed as documented."""

import pytest

from aded_engine.server_bench import Tally, main, markdown_table


@pytest.mark.parametrize("argv, message", [
    (["--methods", "aded-server,nope"], "unknown methods: nope"),
    (["--llama-server", "/no/such/llama-server"], "no llama.cpp server"),
    (["--methods", "llama-server"], "need --llama-server"),
    (["--sets", "no-such-set"], "no prompt set"),
])
def test_bad_arguments_are_refused_before_any_server_starts(argv, message, capsys):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2 and message in capsys.readouterr().err


def test_tally_figures():
    plain = Tally(tokens=100, seconds=2.0, output_tokens=104)
    ours = Tally(tokens=150, seconds=2.0, output_tokens=154, repeated=22, calls=77, produced=154,
                 agreement=[1.0, 0.5], overhead_ms=15.4, baseline_ms=[10.0, 10.0])
    r = ours.report(plain)
    assert r["tokens_per_s"] == 75.0 and r["vs_plain_server"] == 1.5
    assert r["tokens_per_call"] == 2.0 and r["repetition"] == round(22 / 154, 3)
    assert r["agreement"] == 0.75
    assert r["overhead"] == 0.01  # 0.1 ms a token beyond the engine, a plain step is 10 ms
    assert plain.report(plain)["tokens_per_call"] is None  # not one of ours: no calls known
    table = markdown_table({"meta": {"date": "d", "machine": "m", "model": "x.gguf",
                                     "threads": 1, "max_tokens": 8, "turns": "1"},
                            "sets": {"code-edit": {"count": 2, "methods": {"aded-server": r}}}})
    assert "| aded-server | 75.0 | 1.50x | 2.00 | 14.3% | 0.75 | 1.0% |" in table
