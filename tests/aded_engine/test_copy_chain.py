"""Copy chains: when the text's last tokens occurred before (in the conversation or in an
attached document), the drafter proposes what followed them there, beyond the tree
search's depth; on the real model a reply that reproduces a given passage is verified many
tokens per call, and every token is still the verifier's own."""

import random

import numpy as np

from aded_engine.cost import AcceptanceCalibration, CostCurve, choose_nodes
from aded_engine.documents.drafting import DocumentLayer
from aded_engine.proposer import AdedSettings
from aded_engine.sampling import SamplingSettings
from aded_engine.search import DraftTree
from aded_engine.trigram import LearnedLayers, NgramIndex, TrigramDrafter


def brute_continuation(text, limit, runs):
    """The longest n in NgramIndex.SIZES whose last-n tokens of ``text`` occur in one of
    ``runs`` with at least one token after them (so not at ``text``'s own end), and every
    continuation such a match has."""
    for n in reversed(NgramIndex.SIZES):
        tail = text[-n:]
        found = []
        for run in runs:
            for end in range(n, len(run)):
                if run[end - n:end] == tail:
                    found.append(run[end:end + limit])
        if len(text) >= n and found:
            return n, found
    return 0, [[]]


def test_the_conversation_index_continues_the_longest_latest_match():
    rng = random.Random(3)
    for _ in range(300):
        text = [rng.randrange(6) for _ in range(rng.randrange(3, 80))]
        index = NgramIndex()
        index.add(text)
        n, chain = index.continuation(text, 10)
        want_n, options = brute_continuation(text, 10, [text])
        assert n == want_n and chain in options
        if n:  # the latest earlier occurrence: the one whose continuation starts last
            starts = [e for e in index.ends[n][tuple(text[-n:])] if 0 <= e < len(text)]
            assert chain == text[starts[-1]:starts[-1] + 10]
    index = NgramIndex()
    index.add([1, 2, 3, 4, 5])
    assert index.continuation([1, 2, 3, 4, 5], 8) == (0, [])  # nothing occurred twice


def test_a_document_continues_the_longest_match_and_stops_at_its_end():
    rng = random.Random(4)
    runs = [[rng.randrange(8) for _ in range(rng.randrange(5, 60))] for _ in range(4)]
    layer = DocumentLayer.from_runs(runs)
    for _ in range(400):
        source = rng.choice(runs)
        end = rng.randrange(1, len(source) + 1)
        text = source[max(0, end - 14):end]
        if rng.random() < 0.3:
            text = text + [rng.randrange(8)]
        n, chain = layer.continuation(text, 12)
        want_n, options = brute_continuation(text, 12, runs)
        assert n == want_n and chain in options
    doc = list(range(100, 130))
    layer = DocumentLayer.from_runs([doc])
    assert layer.continuation([7, 8] + doc[:12], 50) == (12, doc[12:])  # to its end, no -1
    # an occurrence that ends a document has nothing to copy: the one that goes on is taken
    layer = DocumentLayer.from_runs([[9, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6]])  # latest: an end
    assert layer.continuation([0, 4, 5, 6], 5) == (3, [7, 8])
    drafter = TrigramDrafter(learned=LearnedLayers(documents=DocumentLayer.from_runs([[4, 5, 6]])))
    drafter.start([4, 5, 6, 1, 4, 5, 6])  # the conversation goes on after 4 5 6; the document ends
    assert drafter.copy_chain(3) == [1, 4, 5]


def test_a_chain_is_grafted_onto_the_tree_sharing_its_nodes():
    tree = DraftTree([5, 6, 7], [-1, 0, -1], [0.9, 0.8, 0.1])
    tree.add_path([5, 6, 8, 9], [0.5, 0.5, 0.4, 0.3])
    assert tree.tokens == [5, 6, 7, 8, 9] and tree.parents == [-1, 0, -1, 1, 3]
    assert tree.probs[:2] == [0.9, 0.8]  # shared nodes keep the tree's estimates
    empty = DraftTree()
    empty.add_path([1, 2], [0.0, 0.0])
    assert empty.parents == [-1, 0] and empty.depths() == [1, 2]


def test_the_longer_match_wins_between_conversation_and_documents():
    doc = list(range(200, 240))
    learned = LearnedLayers(documents=DocumentLayer.from_runs([doc]))
    drafter = TrigramDrafter(learned=learned)
    # the conversation saw doc[5:9] followed by 999 (a match of 4 for a text ending in
    # doc[:9]); the document holds doc[:9] itself, a match of 8 that goes on with doc[9:]
    drafter.start([1, 2] + doc[5:9] + [999] + doc[:9])
    assert drafter.ngrams.continuation(drafter.tokens, 5) == (4, [999] + doc[:4])
    assert drafter.copy_chain(5) == doc[9:14]
    drafter.start([1, 2] + doc[:12] + [999, 3] + doc[:12])  # now the conversation matches 12
    assert drafter.copy_chain(3) == [999, 3] + doc[:1]


def test_the_cost_model_never_keeps_more_rows_than_the_curve_measured():
    tree = DraftTree()
    tree.add_path(list(range(40)), [1.0] * 40)
    tree.evidence = [12] * 40
    kept, _ = choose_nodes(tree, CostCurve([1, 8], [1.0, 1.0]), AcceptanceCalibration())
    assert len(kept) == 7


def test_a_reply_that_copies_a_passage_is_verified_many_tokens_per_call(session):
    passage = ("The lighthouse keeper climbed the spiral stairs every evening at six, lit the "
               "great lamp, wound the clockwork that turned the lens, and wrote the weather "
               "in a leather logbook that his grandmother had bound by hand.")
    messages = [{"role": "user", "content": f"Repeat this sentence exactly:\n\n{passage}"}]
    settings = SamplingSettings(max_tokens=60)
    # a fixed tree size: what is checked is what gets drafted, not what this machine's batch
    # costs make worth verifying
    copy = session.new_proposer(AdedSettings(cost_aware=False, fixed_nodes=16))
    search_only = session.new_proposer(AdedSettings(cost_aware=False, fixed_nodes=16,
                                                    copy_tokens=0))
    plain = session.generate(messages, settings, proposer=session.plain)
    assert passage[:60] in plain.text  # the model copies: the case chains exist for
    chained = session.generate(messages, settings, proposer=copy, keep_logits=True)
    searched = session.generate(messages, settings, proposer=search_only)
    for token, row in zip(chained.tokens, chained.logits):
        assert token == int(np.argmax(row))  # every token is still the verifier's choice
    assert chained.stats.tokens_per_call > 3.0
    # the search alone also finds much of the passage (the prompt holds it, so its tri-grams
    # are in the conversation layer), and how much differs between CPUs (4.1 tokens per
    # call on an AVX-512 Xeon, against 5.0 with chains), so the chains are held to beating
    # it on trees of the same size (per call: the two replies need not be equally long)
    assert chained.stats.tokens_per_call > searched.stats.tokens_per_call
