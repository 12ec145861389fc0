import numpy as np
import pytest

from aded_engine.trigram import (CountLayer, FrozenLayer, LearnedLayers, TableSettings,
                                 TrigramDrafter, ctx_key, learn_tokens, ngram_triples)


def test_ngram_triples_literal():
    keys, succ = ngram_triples([5, 6, 7])
    pairs = sorted(zip(keys.tolist(), succ.tolist()))
    # trigram (5,6)->7; bigrams (5)->6 and (6)->7
    assert pairs == sorted([(ctx_key(5, 6), 7), (5, 6), (6, 7)])


def test_ngram_triples_short_runs_are_empty():
    assert ngram_triples([1])[0].size == 0
    assert ngram_triples([])[0].size == 0


def test_count_layer_counts_and_decays():
    layer = CountLayer()
    layer.add([1, 2, 3, 1, 2, 4, 1, 2, 3])
    assert layer.successors(ctx_key(1, 2)) == {3: 2.0, 4: 1.0}
    decayed = CountLayer(decay=0.5)
    decayed.add([1, 2, 3, 1, 2, 4])
    succ = decayed.successors(ctx_key(1, 2))
    assert succ[4] > succ[3]  # the recent successor weighs more


def test_count_layer_incremental_equals_batch():
    tokens = [9, 8, 7, 9, 8, 6, 9, 8, 7]
    a, b = CountLayer(), CountLayer()
    a.add(tokens)
    b.add(tokens[:4])
    b.add(tokens, start=4)
    assert a.table == b.table


def test_frozen_layer_sums_keeps_top_k_and_prunes():
    keys = np.array([ctx_key(1, 2)] * 5 + [7], np.uint64)
    succ = np.array([3, 3, 4, 5, 6, 8], np.int32)
    weight = np.array([1, 1, 1.5, 1, 0.5, 0.2], np.float32)
    layer = FrozenLayer.from_triples(keys, succ, weight, top_k=2, max_entries=100)
    assert layer.successors(ctx_key(1, 2)) == {3: 2.0, 4: 1.5}
    assert layer.successors(7) == pytest.approx({8: 0.2})
    assert layer.successors(ctx_key(2, 2)) is None
    small = FrozenLayer.from_triples(keys, succ, weight, top_k=2, max_entries=2)
    assert len(small) == 2 and small.successors(7) is None  # weakest entry pruned


def test_learn_then_forget_leaves_nothing():
    settings = TableSettings()
    base = learn_tokens(FrozenLayer(), [[1, 2, 3, 4]], settings)
    both = learn_tokens(base, [[1, 2, 9, 9, 9]], settings)
    assert both.successors(ctx_key(1, 2)) == {3: 1.0, 9: 1.0}
    forgotten = learn_tokens(both, [[1, 2, 9, 9, 9]], settings, sign=-1.0)
    assert forgotten.successors(ctx_key(1, 2)) == {3: 1.0}
    assert forgotten.successors(ctx_key(9, 9)) is None
    assert len(forgotten) == len(base)


def test_large_vocabulary_ids():
    big = 262_143
    layer = learn_tokens(FrozenLayer(), [[big, big - 1, big, big - 1, 5]], TableSettings())
    assert layer.successors(ctx_key(big, big - 1)) == {big: 1.0, 5: 1.0}


def test_drafter_backs_off_to_bigram_and_never_invents():
    d = TrigramDrafter(TableSettings())
    d.start([10, 11, 12])
    assert d.distribution(11, 12) == []  # nothing ever followed 12
    # seen once: 1 / (1 + smoothing)  (approx: recency decay weighs the observation a bit)
    assert d.distribution(10, 11) == [(12, pytest.approx(0.5, rel=1e-2))]
    assert d.distribution(99, 11) == [(12, pytest.approx(0.5, rel=1e-2))]  # backoff to (11)


def test_drafter_mixes_history_layer():
    history = learn_tokens(FrozenLayer(), [[1, 2, 3]], TableSettings())
    d = TrigramDrafter(TableSettings(), LearnedLayers(history=history))
    d.start([7, 1, 2])
    assert d.distribution(1, 2)[0][0] == 3


def test_paper_rule_boosts_recent_trigrams():
    settings = TableSettings(adaptation="paper")
    d = TrigramDrafter(settings)
    d.start([1, 2, 3, 1, 2, 4, 1, 2, 4, 5, 1, 2, 3])
    before = dict(d.distribution(1, 2))
    d.observe([1, 2, 4])  # recent window now holds (1,2)->4 again: boosted
    after = dict(d.distribution(1, 2))
    assert after[4] > before[4]
    assert d.boosts[ctx_key(1, 2)][4] <= settings.boost_cap


def test_no_adaptation_ignores_verified_tokens():
    d = TrigramDrafter(TableSettings(), adapt=False)
    d.start([1, 2])
    d.observe([3, 4])
    assert d.distribution(2, 3) == []


def test_start_with_edited_history_relearns():
    d = TrigramDrafter(TableSettings())
    d.start([1, 2, 3])
    d.start([1, 2, 4])  # the conversation was edited: 3 must not be proposed
    assert [t for t, _ in d.distribution(1, 2)] == [4]


def test_more_evidence_gives_more_confidence():
    d = TrigramDrafter(TableSettings(decay_half_life=1e9))  # plain counts
    d.start([1, 2, 3])
    once = d.distribution(1, 2)[0][1]
    d.observe([9, 1, 2, 3, 9, 1, 2, 3, 9, 1, 2, 3])
    assert d.distribution(1, 2)[0] == (3, pytest.approx(4 / 5))
    assert once == pytest.approx(1 / 2)
    assert d.distribution(2, 3)[0] == (9, pytest.approx(3 / 4))


def test_evidence_is_the_longest_earlier_run_ending_at_the_token():
    d = TrigramDrafter(TableSettings())
    d.start([5, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert d.evidence([7, 8, 9]) == 3  # 7 8 9 occurred
    assert d.evidence([4, 5, 6, 7, 8, 9]) == 6
    assert d.evidence([0, 4, 5, 6, 7, 8, 9]) == 6  # 0 4 ... never occurred: sizes 3, 4, 6 did
    assert d.evidence([1, 2, 4]) == 0  # a guess the text never made
    d.observe([1, 2, 4])
    assert d.evidence([1, 2, 4]) == 3  # verified tokens count from the next step on
    d.start([1, 2])  # an edited conversation starts its index afresh
    assert d.evidence([5, 1, 2]) == 0


def test_drafted_paths_get_their_evidence():
    """The proposer attaches to each node the run it continues (a path retracing earlier
    text gains evidence with depth)."""
    from aded_engine.cost import AcceptanceCalibration, CostCurve
    from aded_engine.proposer import AdedSettings, TreeProposer
    from aded_engine.search import greedy_chain

    d = TrigramDrafter(TableSettings())
    text = [10, 11, 12, 13, 14, 15, 16, 17, 30, 10, 11]
    d.start(text)
    proposer = TreeProposer(d, AdedSettings(), CostCurve([1, 2], [1.0, 2.0]), AcceptanceCalibration())
    chain = greedy_chain(d.distribution, text[-2], text[-1])
    assert chain.tokens[:4] == [12, 13, 14, 15]
    assert proposer.node_evidence(chain, text)[:4] == [3, 4, 4, 6]
