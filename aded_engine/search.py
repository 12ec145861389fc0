"""Draft trees: a Monte-Carlo tree search with a PUCT score over the tri-gram table.

A tree is stored flat, parents before children (the order it is laid into a batch)::

    tokens     [ 42,  7, 13, 99]      draft token of each node
    parents    [ -1, -1,  0,  2]      index of the parent node; -1 = child of the root
    probs      [.9,  .1, .8, .7]      table estimate of P(node accepted | parent accepted)
    evidence   [ 6,   0,  3,  0]      longest earlier run of the conversation ending at the node

The root itself is the last committed token (not part of the tree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

Distribution = Callable[[int, int], list[tuple[int, float]]]


@dataclass
class DraftTree:
    tokens: list[int] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    probs: list[float] = field(default_factory=list)
    # filled in by the proposer after the search (see TrigramDrafter.evidence); zeros if unknown
    evidence: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.evidence:
            self.evidence = [0] * len(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def add(self, token: int, parent: int, prob: float) -> int:
        """Append a node (its parent must already be in the tree); returns its index."""
        self.tokens.append(token)
        self.parents.append(parent)
        self.probs.append(prob)
        self.evidence.append(0)
        return len(self.tokens) - 1

    def add_path(self, tokens: list[int], probs: list[float], max_new: int | None = None) -> None:
        """Graft a chain of tokens below the root, sharing the nodes the tree already has
        (a shared node keeps its own probability), adding at most ``max_new`` nodes."""
        child = {(p, t): i for i, (t, p) in enumerate(zip(self.tokens, self.parents))}
        parent, room = -1, len(tokens) if max_new is None else max_new
        for token, prob in zip(tokens, probs):
            node = child.get((parent, token))
            if node is None:
                if room <= 0:
                    return
                node, room = self.add(token, parent, prob), room - 1
            parent = node

    def depths(self) -> list[int]:
        d: list[int] = []
        for p in self.parents:
            d.append(1 if p < 0 else d[p] + 1)
        return d

    def subset(self, keep: list[int]) -> "DraftTree":
        """The nodes in ``keep`` (each one's parent must be kept too), re-indexed."""
        keep = sorted(keep)
        index = {old: new for new, old in enumerate(keep)}
        return DraftTree([self.tokens[i] for i in keep],
                         [index[self.parents[i]] if self.parents[i] >= 0 else -1 for i in keep],
                         [self.probs[i] for i in keep], [self.evidence[i] for i in keep])


@dataclass(frozen=True)
class SearchSettings:
    simulations: int = 48
    max_depth: int = 8
    c1: float = 32.0  # PUCT exploration constants, as in the ADED paper
    c2: float = 8.0
    max_nodes: int = 63  # one batch row is the root


class _Node:
    __slots__ = ("token", "prior", "path_prob", "a", "b", "visits", "value", "children")

    def __init__(self, token: int, prior: float, path_prob: float, a: int, b: int):
        self.token = token
        self.prior = prior
        self.path_prob = path_prob
        self.a, self.b = a, b  # context for this node's children
        self.visits = 0
        self.value = 0.0
        self.children: list[_Node] | None = None


def puct_select(children: list[_Node], parent_visits: int, c1: float, c2: float) -> _Node:
    """argmax over children of Q + P * sqrt(N) / (1 + n) * (c1 + log((N + c2 + 1) / c2)).
    Ties go to the earlier child (children are sorted by prior), so the search is
    deterministic."""
    scale = math.sqrt(parent_visits) * (c1 + math.log((parent_visits + c2 + 1) / c2))
    best, best_score = children[0], -1.0
    for child in children:
        q = child.value / child.visits if child.visits else 0.0
        score = q + child.prior * scale / (1 + child.visits)
        if score > best_score:
            best, best_score = child, score
    return best


def mcts_tree(distribution: Distribution, a: int, b: int,
              settings: SearchSettings = SearchSettings()) -> DraftTree:
    """Search from context (a, b); return every visited node as a draft tree.

    Reward of a simulation: the expected number of tokens the verifier would accept along
    the path it walked (the sum of the path probabilities of its nodes), over max_depth.
    """
    root = _Node(-1, 1.0, 1.0, a, b)
    for _ in range(settings.simulations):
        node, path, expected = root, [root], 0.0
        while len(path) <= settings.max_depth:
            if node.children is None:
                node.children = [_Node(t, p, node.path_prob * p, node.b, t)
                                 for t, p in distribution(node.a, node.b)]
            if not node.children:
                break
            node = puct_select(node.children, node.visits + 1, settings.c1, settings.c2)
            path.append(node)
            expected += node.path_prob
            if node.visits == 0:
                break  # a new leaf: evaluate it
        reward = expected / settings.max_depth
        for n in path:
            n.visits += 1
            n.value += reward
        if root.children == []:
            break
    return _flatten(root, settings.max_nodes)


def greedy_chain(distribution: Distribution, a: int, b: int,
                 settings: SearchSettings = SearchSettings()) -> DraftTree:
    """The ablation without search: follow the most likely successor."""
    tree = DraftTree()
    for depth in range(settings.max_depth):
        dist = distribution(a, b)
        if not dist:
            break
        token, p = dist[0]
        tree.add(token, depth - 1, p)
        a, b = b, token
    return tree


def _flatten(root: _Node, max_nodes: int) -> DraftTree:
    """Visited nodes, best path probability first among siblings, parents before children."""
    tree = DraftTree()
    frontier = [(root, -1)]
    while frontier and len(tree) < max_nodes:
        node, index = frontier.pop(0)
        for child in sorted(node.children or [], key=lambda c: -c.path_prob):
            if child.visits == 0 or len(tree) >= max_nodes:
                continue
            frontier.append((child, tree.add(child.token, index, child.prior)))
    return tree
