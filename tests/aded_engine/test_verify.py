from aded_engine.search import DraftTree
from aded_engine.verify import leaf_sequences, walk

TREE = DraftTree([10, 11, 12, 13], [-1, -1, 0, 0], [0.5, 0.5, 0.5, 0.5])
#        root
#       /    \
#     10      11 (leaf)
#    /  \
#  12    13         leaves: 12, 13, 11


def test_leaf_sequences_give_every_node_its_leaves():
    ids, leaves = leaf_sequences(TREE)
    assert leaves == [2, 3, 1]
    assert ids == [[0, 1], [2], [0], [1]]


def test_walk_accepts_longest_matching_path_plus_bonus():
    choices = {0: 10, 1: 13, 4: 99}  # row = node index + 1
    tokens, accepted, rows = walk(TREE, lambda r, _path: choices[r])
    assert tokens == [10, 13, 99] and accepted == [0, 3] and rows == [0, 1, 4]


def test_walk_rejects_at_root():
    tokens, accepted, rows = walk(TREE, lambda r, _path: 42)
    assert tokens == [42] and accepted == [] and rows == [0]


def test_walk_gives_each_row_its_own_path():
    seen = {}

    def pick(row, path):
        seen[row] = list(path)
        return {0: 10, 1: 13, 4: 99}[row]

    walk(TREE, pick)
    assert seen == {0: [], 1: [10], 4: [10, 13]}  # row 4 is node 13, reached by 10 then 13
