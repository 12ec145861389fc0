"""Forgetting by source is exact: a layer never holds more of any n-gram than its live
sources taught it, so forgetting every source leaves it empty, even when pruning (top-k per
context, a bound on entries) dropped and re-learned entries in between."""

import numpy as np

from aded_engine.provenance import drop_sources, new_source
from aded_engine.trigram import FrozenLayer, TableSettings, learn_tokens, ngram_triples

SMALL = TableSettings(top_k=2, max_entries=60)  # prunes all the time


def contributions(sources) -> dict:
    out: dict = {}
    for s in sources.values():
        for run in s.runs:
            for k, c in zip(*ngram_triples(run)):
                out[(int(k), int(c))] = out.get((int(k), int(c)), 0) + 1
    return out


def teach_all(rng, n):
    layer, sources = FrozenLayer(), {}
    for i in range(n):
        runs = [rng.integers(0, 12, rng.integers(2, 30)).tolist() for _ in range(2)]
        s = new_source(f"chat:{i}:0.0", "", runs)
        sources[s.id] = s
        layer = learn_tokens(layer, s.runs, SMALL)
    return layer, sources


def test_a_layer_holds_at_most_what_its_live_sources_taught():
    rng = np.random.default_rng(1)
    layer, sources = teach_all(rng, 40)
    keep_ids = {f"chat:{i}:0.0" for i in range(0, 40, 3)}
    layer, gone = drop_sources(layer, sources, lambda sid: sid in keep_ids, SMALL)
    assert len(gone) == 40 - len(keep_ids) and set(sources) == keep_ids
    live = contributions(sources)
    keys, succ, weight = layer.triples()
    for k, c, w in zip(keys.tolist(), succ.tolist(), weight.tolist()):
        assert w <= live.get((k, c), 0) + 1e-6


def test_forgetting_every_source_leaves_nothing():
    rng = np.random.default_rng(2)
    layer, sources = teach_all(rng, 30)
    assert len(layer) > 0
    layer, gone = drop_sources(layer, sources, lambda sid: False, SMALL)
    assert len(layer) == 0 and len(gone) == 30 and sources == {}


def test_keeping_everything_changes_nothing():
    rng = np.random.default_rng(3)
    layer, sources = teach_all(rng, 5)
    same, gone = drop_sources(layer, sources, lambda sid: True, SMALL)
    assert gone == [] and same is layer and len(sources) == 5


def test_tables_whose_model_is_not_loaded_forget_on_disk_with_no_model_file():
    """Every saved table forgets the refused sources; the loaded model's (``skip``) is left
    to the session, another program's sources are kept, a damaged file is set aside."""
    from aded_engine.learned_tables import forget_sources_on_disk
    from aded_engine.paths import tables_dir
    from aded_engine.table_store import read_table_file, save_table, table_path

    rng = np.random.default_rng(4)
    made = {}
    for fp in ("a" * 32, "b" * 32):
        layer, sources = teach_all(rng, 6)
        cli = new_source("cli:1:0", "", [[1, 2, 3, 4]])
        sources[cli.id] = cli
        layer = learn_tokens(layer, cli.runs, SMALL)
        save_table(table_path(tables_dir(), fp, "history"), layer, fp, 12, sources)
        made[fp] = layer
    broken = table_path(tables_dir(), "c" * 32, "history")
    broken.write_bytes(b"not a table")
    gone = forget_sources_on_disk(lambda sid: not sid.startswith("chat:"), skip=["b" * 32],
                                  settings=SMALL)
    assert len(gone) == 6
    left = read_table_file(table_path(tables_dir(), "a" * 32, "history"))
    assert list(left.sources) == ["cli:1:0"] and len(left.layer) > 0
    cli_taught = contributions(left.sources)  # what remains is at most what it taught
    keys, succ, weight = left.layer.triples()
    assert all(w <= cli_taught.get((k, c), 0) for k, c, w in zip(keys.tolist(), succ.tolist(),
                                                                   weight.tolist()))
    untouched = read_table_file(table_path(tables_dir(), "b" * 32, "history"))
    assert len(untouched.sources) == 7 and len(untouched.layer) == len(made["b" * 32])
    assert not broken.exists() and list(tables_dir().glob("c*.corrupt-*"))
