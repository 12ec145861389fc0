"""How big a draft tree pays off on this machine, now.

On a GPU a 64-node batch costs about as much as one token; on a 2-core CPU 8 tokens cost
4-5 times one. So the tree size is chosen each step from two measured things:

* the batch cost curve: milliseconds of one ``llama_decode`` of n rows (measured when a model
  loads, cached per model/threads/device, and kept current during decoding), and
* the acceptance calibration: how often a node whose table probability was q was actually
  accepted (learned from every verification).

Each step verifies the node set with the most expected tokens per millisecond, which is the
empty set (plain decoding) when no tree pays.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .json_map import drop_json_entry, read_json_entry, write_json_entry
from .search import DraftTree

# Batch sizes timed at load. CPU kernels take rows in blocks (llama.cpp's repacked Q4_K on
# AVX2: 4 rows), so a batch's cost steps up just after each multiple of 4 (Qwen2.5-Coder-
# 0.5B Q4_K_M, AMD EPYC: 4 rows 2.4x one row, 5 rows 3.5x, 8 rows 4.1x, 9 rows 5.0x): both
# sides of each step are timed, so interpolation never calls a row past a step cheap.
CPU_SIZES = (1, 2, 3, 4, 5, 8, 9, 12, 13, 16, 17, 24, 25, 32)
GPU_SIZES = CPU_SIZES + (48, 64)


@dataclass
class CostCurve:
    """ms per ``llama_decode`` of n rows (logits on every row), interpolated between sizes.

    ``scale`` follows the machine during decoding (context growth, other load): every
    timed call nudges it by the ratio of observed to predicted time.
    """

    sizes: list[int]
    ms: list[float]
    scale: float = 1.0
    # False when the timings scattered as on a busy machine: used for this session, never
    # cached as the truth (a flat curve measured under load made every later reply over-draft)
    steady: bool = True

    def predict(self, n_rows: int) -> float:
        return self.scale * float(np.interp(n_rows, self.sizes, self.ms))

    def relative(self, n_rows: int) -> float:
        return float(np.interp(n_rows, self.sizes, self.ms)) / self.ms[0]

    def observe(self, n_rows: int, ms: float, rate: float = 0.05) -> None:
        ratio = ms / max(1e-6, float(np.interp(n_rows, self.sizes, self.ms)))
        self.scale += rate * (min(ratio, 4 * self.scale) - self.scale)

    def take(self, other: CostCurve) -> None:
        """Become ``other`` in place: the proposers and the thread governor hold this object."""
        self.sizes, self.ms, self.scale, self.steady = (list(other.sizes), list(other.ms),
                                                        other.scale, other.steady)

    @property
    def single_token_ms(self) -> float:
        """Current cost of one plain decoding step: the baseline of every speedup figure."""
        return self.predict(1)

    def to_json(self) -> dict:
        return {"sizes": self.sizes, "ms": self.ms}


def curve_from_json(entry) -> CostCurve | None:
    """A saved curve, or None unless it is one this code could have measured: row counts
    strictly rising from 1, as many finite, positive, non-decreasing times."""
    if not isinstance(entry, dict):
        return None
    sizes, ms = entry.get("sizes"), entry.get("ms")
    if not (isinstance(sizes, list) and isinstance(ms, list) and 0 < len(sizes) == len(ms) <= 64
            and all(type(n) is int for n in sizes)
            and all(type(t) in (int, float) for t in ms)):
        return None
    if sizes[0] != 1 or any(b <= a for a, b in zip(sizes, sizes[1:])) or sizes[-1] > 4096:
        return None
    ms = [float(t) for t in ms]
    if not all(np.isfinite(t) and 0 < t < 3.6e6 for t in ms) or any(b < a for a, b in zip(ms, ms[1:])):
        return None
    return CostCurve(sizes, ms)


# The median time of a size over its fastest beyond which the machine counts as busy.
STEADY_SPREAD = 1.3


def measure_cost_curve(backend, sizes=CPU_SIZES, repeats: int = 3, base_pos: int = 64) -> CostCurve:
    """Time batches of each size in the KV cache's spare room (sequence 0 is left as found:
    the scratch rows are written at positions past anything committed and removed).

    The sizes are timed in rounds, every size once a round, so a slow spell of a shared
    machine hits all sizes alike instead of making one look expensive; each size keeps its
    fastest time. The curve is then held to what a batch can physically cost."""
    tokens = [backend.bos if backend.bos >= 0 else 0] * max(sizes)
    start = max(base_pos, backend.seq_pos_range(0)[1] + 1)
    backend.decode(tokens[:8], range(start, start + 8))  # warm-up: graph allocation, caches
    backend.seq_rm(0, start, -1)
    times: list[list[float]] = [[] for _ in sizes]
    for _ in range(repeats):
        for i, n in enumerate(sizes):
            t0 = time.perf_counter()
            backend.decode(tokens[:n], range(start, start + n))
            times[i].append((time.perf_counter() - t0) * 1000)
            backend.seq_rm(0, start, -1)
    return curve_from_timings(list(sizes), times)


def curve_from_timings(sizes: list[int], times: list[list[float]]) -> CostCurve:
    """The curve from each size's repeated timings: the fastest of each, held to physics,
    and steady unless the typical size's median strays from its fastest (a busy machine)."""
    curve = physical_curve(sizes, [min(t) for t in times])
    spread = statistics.median(statistics.median(t) / min(t) for t in times)
    curve.steady = spread <= STEADY_SPREAD
    return curve


def physical_curve(sizes: list[int], ms: list[float]) -> CostCurve:
    """Timings held to what batching can cost: never less than a smaller batch (timing noise
    can say otherwise), never more than one call per row (a busy machine can say otherwise:
    a one-row call that ran in a quiet moment makes every larger one look dearer)."""
    ms = list(np.maximum.accumulate(ms))
    ms = [min(t, n * ms[0]) for n, t in zip(sizes, ms)]
    return CostCurve(sizes, ms)


def cached_cost_curve(backend, cache_file: Path, key: str, sizes=CPU_SIZES,
                      agree: float = 2.0, rescale: float = 5.0,
                      measure=measure_cost_curve, fresh: bool = False) -> CostCurve:
    """The cached curve for this model/threads/device, if a quick spot check of a one-row
    decode still agrees with it (within ``agree`` times); within ``rescale`` times, the
    cached shape scaled to the machine as it is now (other programs busier or quieter than
    when it was measured: measuring it again would add seconds to every start on a shared
    machine, and decoding keeps the scale current anyway); otherwise measured again and
    cached. A curve measured while the machine was very busy must not be trusted for ever:
    one whose timings scattered (``steady`` False) is used for this session, never cached.
    ``fresh`` (Settings › Measure this machine again): the cached curve is dropped unread
    and measured again, so a busy measurement leaves nothing cached for the next start."""
    if fresh:
        drop_json_entry(cache_file, key)
        curve = None
    else:
        entry = read_json_entry(cache_file, key, valid=lambda e: curve_from_json(e) is not None)
        curve = curve_from_json(entry)
    if curve is not None:
        ratio = measure_cost_curve(backend, (1,), repeats=3).ms[0] / curve.ms[0]
        if 1 / agree < ratio < agree:
            return curve
        if 1 / rescale < ratio < rescale:
            curve.scale = ratio
            return curve
    curve = measure(backend, sizes)
    if curve.steady:
        write_json_entry(cache_file, key, curve.to_json())
    return curve


class PlainStepClock:
    """What one plain decoding step costs here and now, the baseline of the speedup figure,
    measured during the reply itself: the mean of its latest plain steps (steps that
    verified no draft, which is exactly what plain decoding does), so other programs loading
    the machine, or stopping, move the baseline within a few steps instead of reading as
    "ADED is slower". The mean, not the median: under contention most steps stay fast and a
    few take many times longer, and plain decoding would pay for those too. When the cost model drafts at every step, ``due`` asks for one plain
    step every ``every`` steps to keep the figure current (a step in 32 without drafts).
    Until the first plain step, the cost curve's one-row estimate stands in."""

    def __init__(self, fallback_ms: float, every: int = 32, window: int = 16):
        self.fallback_ms = fallback_ms
        self.every = every
        self.recent: deque[float] = deque(maxlen=window)
        self.since_plain = 0

    def due(self) -> bool:
        return self.since_plain >= self.every

    def record(self, nodes: int, verify_ms: float) -> None:
        if nodes == 0:
            self.recent.append(verify_ms)
            self.since_plain = 0
        else:
            self.since_plain += 1

    @property
    def ms(self) -> float:
        return statistics.fmean(self.recent) if self.recent else self.fallback_ms


def backend_cost_curve(backend, cache_file: Path, fresh: bool = False) -> CostCurve:
    """The batch-cost curve of a loaded model, cached per model file and everything in its
    settings that changes the cost (the device, threads, GPU layers, attention, repacking);
    ``fresh``: measured again now (``cached_cost_curve``)."""
    s = backend.settings
    if s.single_row_batches:
        sizes = (1,)  # trees are never verified in this mode
    else:
        sizes = CPU_SIZES if backend.device_name == "CPU" else GPU_SIZES
    # "v2:": curves cached before busy-machine timings were refused are measured again
    key = (f"v2:{backend.path.name}:{backend.path.stat().st_size}:{backend.device_name}:"
           f"{backend.n_threads}:{s.n_gpu_layers}:{s.flash_attn}:{s.repack}")
    return cached_cost_curve(backend, cache_file, key, sizes, fresh=fresh)


# Evidence levels: the longest run of tokens ending at a draft node that the conversation
# has seen before (TrigramDrafter.evidence) is below 3, 3, 4-5, 6-7, 8-11 or 12+. On
# MT-Bench replies of SmolLM2, drafts with the same table probability are accepted about 0.3
# of the time at the lowest level and 0.96 at the highest.
EVIDENCE_LEVELS = (3, 4, 6, 8, 12)


def evidence_level(match_length: int) -> int:
    return int(np.searchsorted(EVIDENCE_LEVELS, match_length, side="right"))


@dataclass
class AcceptanceCalibration:
    """P(node accepted | parent accepted) as a function of the table's estimate q and of
    the evidence behind it (see ``TrigramDrafter.evidence``), in cells of q-bin x level.

    Each cell starts at q itself (a prior worth ``prior_weight`` observations) and moves to
    what the verifier actually accepted.
    """

    bins: int = 10
    prior_weight: float = 4.0
    # Optimism for little-tried cells: a cell that is never drafted never learns, so an
    # estimate with few trials is raised by about one standard error (as in UCB bandits).
    optimism: float = 0.3
    memory: float = 2000.0  # trials per cell after which old outcomes count half
    accepted: np.ndarray = field(init=False)
    tried: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        shape = (self.bins, len(EVIDENCE_LEVELS) + 1)
        self.accepted = np.zeros(shape)
        self.tried = np.zeros(shape)

    def _cell(self, q: float, evidence: int) -> tuple[int, int]:
        return min(self.bins - 1, int(q * self.bins)), evidence_level(evidence)

    def mean(self, q: float, evidence: int = 0) -> float:
        """Best estimate of P(accepted | parent accepted) for table estimate q."""
        i = self._cell(q, evidence)
        return (self.accepted[i] + self.prior_weight * q) / (self.tried[i] + self.prior_weight)

    def calibrated(self, q: float, evidence: int = 0) -> float:
        """The estimate decisions use: the mean plus the exploration bonus, at most 1."""
        i = self._cell(q, evidence)
        return min(1.0, self.mean(q, evidence) + self.optimism / np.sqrt(1.0 + self.tried[i]))

    def observe(self, q: float, evidence: int, accepted: bool) -> None:
        i = self._cell(q, evidence)
        self.tried[i] += 1
        self.accepted[i] += accepted
        if self.tried[i] > self.memory:  # forget slowly, so the cell follows a changing table
            self.tried[i] /= 2
            self.accepted[i] /= 2

    def to_json(self) -> dict:
        return {"tried": self.tried.tolist(), "accepted": self.accepted.tolist()}

    def load_json(self, data) -> bool:
        """Take over counts saved by ``to_json``; False (and nothing changed) if they do not
        fit this calibration's cells or make no sense."""
        try:
            tried = np.asarray(data["tried"], dtype=float)
            accepted = np.asarray(data["accepted"], dtype=float)
        except (KeyError, TypeError, ValueError):
            return False
        if (tried.shape != self.tried.shape or accepted.shape != tried.shape
                or not np.all(np.isfinite(tried)) or not np.all(np.isfinite(accepted))
                or np.any(accepted < 0) or np.any(accepted > tried)):
            return False
        self.tried, self.accepted = tried, accepted
        return True


def path_probabilities(tree: DraftTree, calibration: AcceptanceCalibration) -> list[float]:
    """Calibrated probability that each node is accepted (product along its path)."""
    out: list[float] = []
    for q, e, parent in zip(tree.probs, tree.evidence, tree.parents):
        p = calibration.calibrated(q, e)
        out.append(p if parent < 0 else p * out[parent])
    return out


def choose_nodes(tree: DraftTree, curve: CostCurve, calibration: AcceptanceCalibration,
                 max_nodes: int | None = None) -> tuple[DraftTree, float]:
    """The subtree with the most expected tokens per ms, and its expected tokens per call.

    Taking nodes in order of path probability always gives a valid subtree (a child is never
    more likely than its parent), and for a given node count it maximises the expected
    number of accepted tokens; so only the count is searched.
    """
    if not tree.tokens:
        return tree, 1.0
    probs = path_probabilities(tree, calibration)
    depths = tree.depths()
    order = sorted(range(len(tree)), key=lambda i: (-probs[i], depths[i], i))
    # never more rows than the curve measured: past its last size it only extrapolates flat
    order = order[:min(len(order) if max_nodes is None else max_nodes, curve.sizes[-1] - 1)]
    best_n, best_rate, expected = 0, 1.0 / curve.relative(1), 1.0
    best_expected = 1.0
    for n, i in enumerate(order, start=1):
        expected += probs[i]
        rate = expected / curve.relative(n + 1)
        if rate > best_rate:
            best_n, best_rate, best_expected = n, rate, expected
    return tree.subset(order[:best_n]), best_expected


def drafting_can_pay(top_prob: float, evidence: int, curve: CostCurve,
                     calibration: AcceptanceCalibration, max_depth: int) -> bool:
    """Cheap gate before any search: could even a chain whose every step is as likely as the
    best first token beat plain decoding?"""
    p = calibration.calibrated(top_prob, evidence)
    expected, step = 1.0, 1.0
    for k in range(1, max_depth + 1):
        step *= p
        expected += step
        if expected / curve.relative(k + 1) > 1.0:
            return True
    return False
