"""The message tree of reply versions and edit branches (pure functions, literal trees)."""

from app.storage.versions import Node, Shown, shown_path, sibling_step, siblings, subtree

# the tree of the module docstring: 2 and 4 are versions of the second turn (4 shown),
# 3 is the reply on the old branch
TREE = [Node(1, None, True), Node(2, 1, False), Node(3, 2, True), Node(4, 1, True),
        Node(5, 4, True)]


def test_the_shown_path_takes_the_active_child_and_numbers_the_versions():
    assert shown_path(TREE) == [Shown(1, 1, 1), Shown(4, 2, 2), Shown(5, 1, 1)]


def test_switching_back_shows_the_old_branch_with_its_own_continuation():
    switched = [Node(2, 1, True) if n.id == 2 else Node(4, 1, False) if n.id == 4 else n
                for n in TREE]
    assert [s.id for s in shown_path(switched)] == [1, 2, 3]


def test_damaged_rows_still_show_a_conversation():
    # no active sibling: the newest; a parent that is gone: a root; a loop ends, not hangs
    assert [s.id for s in shown_path([Node(1, None, False), Node(2, None, False)])] == [2]
    assert [s.id for s in shown_path([Node(7, 99, True), Node(8, 7, True)])] == [7, 8]
    assert shown_path([Node(1, 2, True), Node(2, 1, True)]) == []


def test_siblings_steps_and_subtrees():
    assert [n.id for n in siblings(TREE, 4)] == [2, 4]
    assert siblings(TREE, 42) == []
    assert sibling_step(TREE, 4, -1) == 2 and sibling_step(TREE, 2, 1) == 4
    assert sibling_step(TREE, 4, 1) is None and sibling_step(TREE, 1, -1) is None
    assert sorted(subtree(TREE, 2)) == [2, 3] and sorted(subtree(TREE, 1)) == [1, 2, 3, 4, 5]
