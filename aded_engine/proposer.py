"""The drafter: from the text so far, a tree of next tokens worth one batched verification.

It strings together the tri-gram table (trigram.py), the tree search (search.py), the copy
chain (the text that followed the last tokens where they occurred before: trigram.py's
n-gram index, documents/drafting.py) and the cost model that keeps only the nodes worth
their batch rows (cost.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .cost import AcceptanceCalibration, CostCurve, choose_nodes, drafting_can_pay
from .search import DraftTree, SearchSettings, greedy_chain, mcts_tree
from .trigram import NgramIndex, TrigramDrafter
from .verify import Verification


@dataclass(frozen=True)
class AdedSettings:
    enabled: bool = True
    search: str = "mcts"  # "mcts" or "chain" (ablation: greedy chain, no search)
    cost_aware: bool = True  # False (ablation): always verify ``fixed_nodes`` nodes
    fixed_nodes: int = 8
    adapt: bool = True  # False (ablation): the table does not learn during a reply
    # Tokens of a copy chain: when the last tokens occurred before (in the conversation or
    # an attached document), what followed them there is drafted too, beyond the search's
    # depth: up to a whole batch of the curve's largest measured size (32 rows with the
    # root; a rewrite accepted whole chains of 24 as often as not). 0 (ablation): the
    # tri-gram search alone.
    copy_tokens: int = 31
    search_settings: SearchSettings = SearchSettings()


class TreeProposer:
    """Drafter interface: ``propose(text)`` a tree for the next tokens; ``learn(...)`` from
    what the verifier accepted. "Nothing worth drafting" is an empty tree."""

    def __init__(self, drafter: TrigramDrafter, settings: AdedSettings, curve: CostCurve,
                 calibration: AcceptanceCalibration):
        self.drafter = drafter
        self.settings = settings
        self.curve = curve
        self.calibration = calibration
        # Nodes the cost model kept per searched tree, on average: the search budget
        # follows it, so a CPU that verifies a handful of nodes does not search for 48.
        self.kept_nodes = float(settings.search_settings.simulations)

    def search_budget(self) -> SearchSettings:
        """The search settings with simulations cut to about what gets verified (twice the
        nodes kept, plus enough to reach full depth), never above the configured number."""
        ss = self.settings.search_settings
        budget = int(2 * self.kept_nodes) + ss.max_depth
        return replace(ss, simulations=max(ss.max_depth, min(ss.simulations, budget)))

    def propose(self, text: list[int]) -> DraftTree:
        s = self.settings
        if not s.enabled or len(text) < 2:
            return DraftTree()
        a, b = text[-2], text[-1]
        first = self.drafter.distribution(a, b)
        room = s.search_settings.max_nodes
        chain = self.drafter.copy_chain(min(s.copy_tokens, room)) if s.copy_tokens else []
        if not first and not chain:
            return DraftTree()
        tail = text[-NgramIndex.SIZES[-1]:]
        # the cheap gate, for the table's best guess and for the chain's first token alike:
        # could a chain of drafts as likely as it beat plain decoding?
        guess = bool(first) and self.can_pay(first[0][1],
                                             self.drafter.evidence(tail + [first[0][0]]))
        copy = bool(chain) and self.can_pay(self.chain_probs(a, b, chain[:1])[0],
                                            self.drafter.evidence(tail + chain[:1]), len(chain))
        if not (guess or copy):
            return DraftTree()
        if not guess:  # the search would only add nodes the cost model refuses
            tree = DraftTree()
        elif s.search == "mcts":
            tree = mcts_tree(self.drafter.distribution, a, b, self.search_budget())
        else:
            tree = greedy_chain(self.drafter.distribution, a, b, s.search_settings)
        searched = len(tree)
        if copy:
            tree.add_path(chain, self.chain_probs(a, b, chain), max_new=room - searched)
        tree.evidence = self.node_evidence(tree, text)
        if s.cost_aware:
            tree, _ = choose_nodes(tree, self.curve, self.calibration)
        else:
            tree, _ = choose_nodes(tree, _FREE, self.calibration, max_nodes=s.fixed_nodes)
        if guess:  # the search budget follows what searches yield, not what chains add
            self.kept_nodes += 0.1 * (min(len(tree), searched) - self.kept_nodes)
        return tree

    def can_pay(self, prob: float, evidence: int, depth: int = 0) -> bool:
        """The cheap gate before any search (always open without the cost model): could a
        chain of ``depth`` drafts (default: the search's depth) as likely as this pay?"""
        return not self.settings.cost_aware or drafting_can_pay(
            prob, evidence, self.curve, self.calibration,
            depth or self.settings.search_settings.max_depth)

    def chain_probs(self, a: int, b: int, chain: list[int]) -> list[float]:
        """The table's estimate for each token of a copy chain (0 where it has none): with
        the chain's evidence, the calibration's cell for the node."""
        probs = []
        for token in chain:
            probs.append(next((p for t, p in self.drafter.distribution(a, b) if t == token), 0.0))
            a, b = b, token
        return probs

    def node_evidence(self, tree: DraftTree, text: list[int]) -> list[int]:
        """The drafter's evidence for every node: its path appended to the text."""
        tail = text[-NgramIndex.SIZES[-1]:]
        paths: list[list[int]] = []
        for token, parent in zip(tree.tokens, tree.parents):
            paths.append((paths[parent] if parent >= 0 else tail) + [token])
        return [self.drafter.evidence(p) for p in paths]

    def start(self, text: list[int]) -> None:
        """A new reply after ``text`` (plain decoding keeps no table)."""
        if self.settings.enabled:
            self.drafter.start(text)

    def observe(self, tokens: list[int]) -> None:
        """Verified tokens were appended to the text."""
        if self.settings.enabled:
            self.drafter.observe(tokens)

    def learn(self, tree: DraftTree, result: Verification, verify_ms: float) -> None:
        accepted = set(result.accepted_nodes)
        for i, (q, e, parent) in enumerate(zip(tree.probs, tree.evidence, tree.parents)):
            if parent < 0 or parent in accepted:
                self.calibration.observe(q, e, i in accepted)
        self.curve.observe(1 + len(tree), verify_ms)


# a cost curve under which every node pays: the "fixed tree size" ablation
_FREE = CostCurve([1, 1024], [1.0, 1.0])
