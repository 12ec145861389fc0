from aded_engine.search import DraftTree, SearchSettings, greedy_chain, mcts_tree, puct_select, _Node

TABLE = {
    (0, 1): [(2, 0.6), (3, 0.4)],
    (1, 2): [(4, 0.9), (5, 0.1)],
    (1, 3): [(6, 1.0)],
    (2, 4): [(7, 1.0)],
}


def dist(a, b):
    return TABLE.get((a, b), [])


def test_greedy_chain_follows_argmax():
    tree = greedy_chain(dist, 0, 1)
    assert tree.tokens == [2, 4, 7]
    assert tree.parents == [-1, 0, 1]
    assert tree.probs == [0.6, 0.9, 1.0]


def test_mcts_is_deterministic_and_parents_first():
    s = SearchSettings(simulations=30, max_depth=4)
    t1, t2 = mcts_tree(dist, 0, 1, s), mcts_tree(dist, 0, 1, s)
    assert (t1.tokens, t1.parents, t1.probs) == (t2.tokens, t2.parents, t2.probs)
    assert all(p < i for i, p in enumerate(t1.parents))
    assert set(t1.tokens) >= {2, 3, 4, 7}  # both first tokens explored, the likely path deep


def test_mcts_empty_when_context_unknown():
    assert len(mcts_tree(dist, 5, 5)) == 0


def test_mcts_respects_node_budget():
    assert len(mcts_tree(dist, 0, 1, SearchSettings(simulations=50, max_nodes=3))) == 3


def test_puct_prefers_prior_then_explores():
    a, b = _Node(1, 0.9, 0.9, 0, 1), _Node(2, 0.1, 0.1, 0, 2)
    assert puct_select([a, b], 1, 32.0, 8.0) is a
    a.visits, a.value = 50, 0.0  # visited often, worthless: explore the other
    assert puct_select([a, b], 51, 32.0, 8.0) is b


def test_subset_and_depths():
    tree = DraftTree([2, 3, 4, 6], [-1, -1, 0, 1], [0.6, 0.4, 0.9, 1.0])
    assert tree.depths() == [1, 1, 2, 2]
    sub = tree.subset([0, 2])
    assert (sub.tokens, sub.parents) == ([2, 4], [-1, 0])


def test_search_budget_follows_the_nodes_the_cost_model_keeps():
    from aded_engine.cost import AcceptanceCalibration, CostCurve
    from aded_engine.proposer import AdedSettings, TreeProposer
    from aded_engine.trigram import TrigramDrafter

    proposer = TreeProposer(TrigramDrafter(), AdedSettings(), CostCurve([1, 2], [1.0, 2.0]),
                            AcceptanceCalibration())
    assert proposer.search_budget().simulations == 48  # before any evidence: as configured
    proposer.kept_nodes = 2.0  # a CPU verifying about two nodes a step
    assert proposer.search_budget().simulations == 12
    proposer.kept_nodes = 0.0
    assert proposer.search_budget().simulations == 8  # still enough to reach full depth
