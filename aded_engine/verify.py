"""Verify a whole draft tree in ONE ``llama_decode`` and keep the longest accepted path.

Batch layout for a root r (the last committed, not yet evaluated token) at position n and a
tree with leaves L0 = node 2, L1 = node 1, L2 = node 3 (one sequence id per leaf)::

    row  token   pos   seq ids      logits      tree:      r
     0   r       n     {0, 1, 2}    yes                   / \\
     1   node0   n+1   {0, 2}       yes               node0  node1 (L1)
     2   node1   n+1   {1}          yes               /   \\
     3   node2   n+2   {0}          yes          node2(L0) node3(L2)
     4   node3   n+2   {2}          yes

Sequence 0 is the committed text; before the call it is copied into ids 1..L-1 so that every
branch sees the whole prefix (in a unified KV cache the copy only tags cells). Afterwards the
cache is folded back so that it holds EXACTLY the committed tokens, all under sequence 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .search import DraftTree

# (logits row, the tokens this verification chose before it on the path) -> token
Picker = Callable[[np.ndarray, list[int]], int]


@dataclass
class Verification:
    tokens: list[int]  # accepted draft tokens followed by the verifier's own next token
    accepted_nodes: list[int]  # tree indices of the accepted drafts, root to leaf
    path_rows: list[int]  # batch rows whose logits chose each of ``tokens``
    logits: np.ndarray  # (1 + len(tree), n_vocab) view, valid until the next decode


def leaf_sequences(tree: DraftTree) -> tuple[list[list[int]], list[int]]:
    """Sequence ids per node (ids of the leaves below it) and per leaf the leaf's node index.

    >>> leaf_sequences(DraftTree([1, 2, 3], [-1, -1, 0], [1, 1, 1]))
    ([[0], [1], [0]], [2, 1])
    """
    n = len(tree)
    has_child = [False] * n
    for p in tree.parents:
        if p >= 0:
            has_child[p] = True
    leaves = [i for i in range(n) if not has_child[i]]
    # deepest-first leaf order puts sequence 0 on the first branch, which is usually the
    # most likely one: when it wins, no copy back into sequence 0 is needed
    leaves.sort(key=lambda i: _first_branch_rank(tree, i))
    ids: list[list[int]] = [[] for _ in range(n)]
    for seq, leaf in enumerate(leaves):
        node = leaf
        while node >= 0:
            ids[node].append(seq)
            node = tree.parents[node]
    return ids, leaves


def _first_branch_rank(tree: DraftTree, node: int) -> list[int]:
    path = []
    while node >= 0:
        path.append(node)
        node = tree.parents[node]
    return path[::-1]


def walk(tree: DraftTree, pick_at_row: Callable[[int, list[int]], int]
         ) -> tuple[list[int], list[int], list[int]]:
    """Follow the tree while the verifier's choice is a drafted child.

    Returns (tokens, accepted node indices, rows used). Pure: ``pick_at_row(row, path)``
    gives the verifier's token for batch row ``row`` (row 0 = root, row i+1 = node i), where
    ``path`` is the tokens already chosen on the way there (that row's own history).
    """
    children: dict[int, dict[int, int]] = {}
    for i, (tok, parent) in enumerate(zip(tree.tokens, tree.parents)):
        children.setdefault(parent, {}).setdefault(tok, i)
    node, row = -1, 0
    tokens, accepted, rows = [], [], []
    while True:
        choice = pick_at_row(row, tokens)
        tokens.append(choice)
        rows.append(row)
        nxt = children.get(node, {}).get(choice)
        if nxt is None:
            return tokens, accepted, rows
        accepted.append(nxt)
        node, row = nxt, nxt + 1


def verify_tree(backend, position: int, root_token: int, tree: DraftTree,
                pick: Picker | None) -> Verification:
    """Decode root + tree in one call and accept the longest matching path.

    ``pick(logits_row, path) -> token`` is the verifier's choice (argmax, or a sample for
    lossless speculative sampling: a drafted child is kept exactly when the model's own
    draw equals it, so the output distribution is the model's); ``path`` holds the tokens
    chosen before that row in this step. ``pick=None``: greedy, no penalty.
    """
    n_nodes = len(tree)
    if n_nodes == 0:
        logits = backend.decode([root_token], [position])
        choice = int(np.argmax(logits[0])) if pick is None else pick(logits[0], [])
        return Verification([choice], [], [0], logits)

    ids, leaves = leaf_sequences(tree)
    depths = tree.depths()
    for seq in range(1, len(leaves)):
        backend.seq_cp(0, seq, -1, -1)
    logits = backend.decode([root_token] + tree.tokens,
                            [position] + [position + d for d in depths],
                            [list(range(len(leaves)))] + ids)
    if pick is None:
        argmax = logits.argmax(axis=1)  # one pass over all rows
        tokens, accepted, rows = walk(tree, lambda r, _path: int(argmax[r]))
    else:
        tokens, accepted, rows = walk(tree, lambda r, path: pick(logits[r], path))

    # Fold the winning branch into sequence 0: keep one leaf id below the last accepted node
    # (that id tags the whole committed prefix too), drop its deeper rejected nodes, rename.
    keep_seq = ids[accepted[-1]][0] if accepted else 0
    backend.seq_keep(keep_seq)
    backend.seq_rm(keep_seq, position + 1 + len(accepted), -1)
    if keep_seq != 0:
        backend.seq_cp(keep_seq, 0, -1, -1)
        backend.seq_rm(keep_seq, -1, -1)
    return Verification(tokens, accepted, rows, logits)
