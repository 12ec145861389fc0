"""``aded-bench``: ADED against plain decoding and the peers, side by side in one run.

Every prompt is decoded by every method before the next prompt starts, in an order that
rotates per prompt, so slow spells of a shared machine hit all methods alike. All methods
see identical prompts; a second turn always follows plain decoding's first answer. Timing
covers generation only (prompt evaluation excluded for every method alike).

JSON schema of ``--json``::

    {"meta": {model, machine, date, threads, max_tokens, turns, history: "cold"|"warm",
              sampling: "greedy"|"chat", ...},
     "methods": {NAME: {tokens, seconds, tokens_per_s, speedup_vs_ar, tokens_per_call,
                        acceptance_rate, draft_share, agreement_with_ar, repetition,
                        by_category: {CATEGORY: {same fields}}}},
     "prompts": [{question_id, category, turn, prompt_tokens: [...],
                  outputs: {NAME: {output_tokens: [...], text}}}]}

``agreement_with_ar``: mean over prompts of (common prefix with plain decoding's output) /
(length of plain decoding's output); 1.0 means identical. ``repetition``: the share of output
tokens inside an 8-gram that the same reply already produced (``repeated_tokens``): a
looping reply drafts itself and is fast, so speed is only worth its repetition figure.
Greedy outputs may differ where the top two logits nearly tie: on a CPU a token's logits
round differently in a one-row batch than in a many-row one, so plain decoding and tree
verification can pick different argmaxes there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from .backend import BackendSettings
from .decode import DecodeCounts
from .documents.bench_set import DOCUMENT_PROMPTS, prepare_item, turn_content
from .background_load import LOADS, background_load
from .catalog import DEFAULT_MODEL
from .models import resolve_model
from .paths import set_data_dir
from .peers import LLAMA_SERVER_MODES, add_llama_server_methods
from .proposer import AdedSettings, TreeProposer
from .sampling import CHAT_SAMPLING, SamplingSettings
from .session import ChatSession, SessionSettings
from .trigram import common_prefix

DEFAULT_PROMPTS = Path(__file__).resolve().parent / "data" / "mt_bench_question.jsonl"  # see NOTICE.md
CODE_EDIT_PROMPTS = DEFAULT_PROMPTS.with_name("code_edit_prompts.jsonl")  # see NOTICE.md
PROMPT_SETS = {"mt-bench": DEFAULT_PROMPTS, "documents": DOCUMENT_PROMPTS,
               "code-edit": CODE_EDIT_PROMPTS}
ADED_VARIANTS = {
    "aded": AdedSettings(),
    "aded-noadapt": AdedSettings(adapt=False),
    "aded-nocopy": AdedSettings(copy_tokens=0),
    "aded-chain": AdedSettings(search="chain"),
    "aded-fixed": AdedSettings(cost_aware=False, fixed_nodes=8),
}
PEERS = {"llama-cpp": 0, "pld2": 2, "pld10": 10}
ALL_METHODS = ["ar", *PEERS, *ADED_VARIANTS, *LLAMA_SERVER_MODES]
SAMPLINGS = {"greedy": SamplingSettings(), "chat": CHAT_SAMPLING}


@dataclass
class Tally(DecodeCounts):
    """One method's counts over the prompts, and how far each output agreed with plain
    decoding's."""

    agreement: list[float] = field(default_factory=list)
    repeated: int = 0  # output tokens inside an 8-gram their reply already produced

    def add(self, other: DecodeCounts) -> None:
        super().add(other)
        if isinstance(other, Tally):
            self.agreement.extend(other.agreement)
            self.repeated += other.repeated

    def report(self, ar: "Tally | None") -> dict:
        ar_tps = ar.tokens_per_s if ar else 0.0
        return {"tokens": self.tokens, "seconds": round(self.seconds, 3),
                "tokens_per_s": round(self.tokens_per_s, 2),
                "speedup_vs_ar": round(self.tokens_per_s / ar_tps, 3) if ar_tps else None,
                "tokens_per_call": round(self.tokens_per_call, 3) if self.calls else None,
                "acceptance_rate": round(self.acceptance_rate, 3) if self.nodes else None,
                "draft_share": round(self.draft_share, 4) if self.seconds else None,
                "agreement_with_ar": round(sum(self.agreement) / len(self.agreement), 3)
                if self.agreement else None,
                "repetition": round(self.repeated / self.tokens, 3) if self.tokens else None}


def repeated_tokens(tokens: list[int], n: int = 8) -> int:
    """How many tokens lie inside an n-gram that occurred earlier in the same sequence.

    >>> repeated_tokens([1, 2, 3, 1, 2, 3, 9], n=3)  # the second 1 2 3
    3
    """
    seen: set[tuple[int, ...]] = set()
    repeated = [False] * len(tokens)
    for start in range(len(tokens) - n + 1):
        gram = tuple(tokens[start:start + n])
        if gram in seen:
            repeated[start:start + n] = [True] * n
        seen.add(gram)
    return sum(repeated)


def load_prompts(path: Path, limit: int | None) -> list[dict]:
    """The prompts of a file; with ``limit``, that many taken in turn from each category
    (MT-Bench lists its questions category by category)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not limit or limit >= len(rows):
        return rows
    by_category: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_category[row.get("category", "")].append(row)
    picked: list[dict] = []
    for i in range(len(rows)):
        for group in by_category.values():
            if i < len(group) and len(picked) < limit:
                picked.append(group[i])
    return picked


class Bench:
    def __init__(self, model: str, methods: list[str], threads: int, n_ctx: int, max_tokens: int,
                 llama_server: str | None = None, sampling: SamplingSettings = SamplingSettings()):
        self.methods = methods
        self.max_tokens = max_tokens
        self.sampling = replace(sampling, max_tokens=max_tokens)
        self.session = ChatSession(model, SessionSettings(
            backend=BackendSettings(n_ctx=n_ctx, n_threads=threads)))
        self.proposers: dict[str, TreeProposer] = {"ar": self.session.plain}
        for name in methods:
            if name in ADED_VARIANTS:
                self.proposers[name] = self.session.new_proposer(ADED_VARIANTS[name])
        self.peers = {}
        if any(m in PEERS for m in methods):
            from .peers import LlamaCppPeer  # imported only when asked: it loads more models
            self.peers = {m: LlamaCppPeer(model, self.session.backend.n_threads, n_ctx, PEERS[m])
                          for m in methods if m in PEERS}
        self.servers = {}
        if llama_server:
            from .peers import LlamaServerPeer
            self.servers = {m: LlamaServerPeer(llama_server, model, self.session.backend.n_threads,
                                               n_ctx, LLAMA_SERVER_MODES[m])
                            for m in methods if m in LLAMA_SERVER_MODES}

    def close(self) -> None:
        for server in self.servers.values():
            server.close()

    def run_one(self, method: str, messages: list[dict], prompt: list[int],
                seed: int | None = None) -> tuple[Tally, list[int], str]:
        """One method's reply to one prompt; ``seed``: the sampler's (the same for every
        method on a prompt, so a sampled run can be repeated)."""
        if method in self.servers:
            r = self.servers[method].complete(prompt, self.max_tokens)
            return Tally(max(0, len(r.tokens) - 1), r.seconds, r.calls), r.tokens, r.text
        if method in self.peers:
            r = self.peers[method].chat(messages, self.max_tokens)
            timed = max(0, len(r.tokens) - 1)  # the first token comes with the prompt eval
            return Tally(timed, r.seconds, r.calls), r.tokens, r.text
        reply = self.session.generate_from_tokens(prompt, replace(self.sampling, seed=seed),
                                                  proposer=self.proposers[method])
        tally = Tally()
        tally.add(reply.stats)
        return tally, reply.tokens, reply.text

    def run(self, prompts: list[dict], turns: str, learn: bool, log,
            methods: list[str] | None = None) -> tuple[dict, list]:
        methods = methods or self.methods
        totals = {m: Tally() for m in methods}
        by_cat: dict[str, dict[str, Tally]] = defaultdict(lambda: {m: Tally() for m in methods})
        records = []
        turn_ids = {"1": [0], "2": [1], "both": [0, 1]}[turns]
        rotation = 0
        for q in prompts:
            messages: list[dict] = []
            documents = prepare_item(self.session, q)  # {} unless --set documents
            # a set's own turn count decides: the editing set has one turn a prompt
            for turn in range(min(max(turn_ids) + 1, len(q["turns"]))):
                messages.append({"role": "user", "content": turn_content(
                    self.session, q, documents, turn, self.max_tokens)})
                prompt = self.session.prompt_tokens(messages)
                order = methods[rotation % len(methods):] + methods[:rotation % len(methods)]
                rotation += 1
                outputs = {}
                for m in order if turn in turn_ids else ["ar"]:
                    tally, tokens, text = self.run_one(m, messages, prompt, seed=rotation)
                    outputs[m] = {"output_tokens": tokens, "text": text, "tally": tally}
                ar_tokens = outputs["ar"]["output_tokens"]
                if turn in turn_ids:
                    log(f"q{q.get('question_id')} t{turn + 1}: " + "  ".join(
                        f"{m} {o['tally'].tokens / max(1e-9, o['tally'].seconds):.0f}/s"
                        for m, o in outputs.items()))
                    for m, out in outputs.items():
                        tally = out.pop("tally")
                        tally.agreement.append(
                            common_prefix(out["output_tokens"], ar_tokens) / max(1, len(ar_tokens)))
                        tally.repeated = repeated_tokens(out["output_tokens"])
                        totals[m].add(tally)
                        by_cat[q.get("category", "all")][m].add(tally)
                    records.append({"question_id": q.get("question_id"), "category": q.get("category"),
                                    "turn": turn + 1, "prompt_tokens": prompt, "outputs": outputs})
                ar_text = outputs["ar"]["text"]
                if learn:
                    self.session.learn_exchange([q["turns"][turn], ar_text])
                messages.append({"role": "assistant", "content": ar_text})
        report = {m: t.report(totals.get("ar")) for m, t in totals.items()}
        for m in methods:
            report[m]["by_category"] = {c: t[m].report(t.get("ar")) for c, t in sorted(by_cat.items())}
        return report, records


def measure_table_load(n_tokens: int, n_vocab: int = 49_152, seed: int = 0) -> dict:
    """Build a history table from ``n_tokens`` Zipf-distributed token ids (text-like
    sparsity), save it, and time loading it back (best of 3)."""
    import numpy as np

    from .table_store import read_table, save_table
    from .trigram import FrozenLayer, TableSettings, learn_tokens

    rng = np.random.default_rng(seed)
    tokens = (rng.zipf(1.2, n_tokens) % n_vocab).astype(np.int64)
    t0 = time.perf_counter()
    layer = learn_tokens(FrozenLayer(), [tokens], TableSettings())
    build_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.adedtable"
        save_table(path, layer, "bench", n_vocab)
        loads = []
        for _ in range(3):
            t0 = time.perf_counter()
            read_table(path, "bench", n_vocab)
            loads.append(time.perf_counter() - t0)
        size = path.stat().st_size
    return {"history_tokens": n_tokens, "entries": len(layer), "file_mb": round(size / 2**20, 1),
            "build_s": round(build_s, 2), "load_s": round(min(loads), 3)}


def markdown_table(result: dict) -> str:
    meta, methods = result["meta"], result["methods"]
    lines = [f"Benchmark {meta['date']} on {meta['machine']}, model `{meta['model']}`, "
             f"{meta['threads']} threads, {meta['prompts']} {meta.get('set', 'MT-Bench')} questions, turns: {meta['turns']}, "
             f"{meta['max_tokens']} tokens max, {meta.get('sampling', 'greedy')}, "
             f"history {meta['history']}, load average {_load_words(meta)}, background load "
             f"{meta.get('background', 'none')}.", "",
             "| method | tok/s | speedup vs plain | tokens/call | acceptance | draft share | agreement with plain | repetition |",
             "|---|---|---|---|---|---|---|---|"]

    def fmt(v, pattern="{:.2f}"):
        return "-" if v is None else pattern.format(v)

    for name, r in methods.items():
        lines.append(f"| {name} | {fmt(r['tokens_per_s'], '{:.1f}')} | {fmt(r['speedup_vs_ar'])}x | "
                     f"{fmt(r['tokens_per_call'])} | {fmt(r['acceptance_rate'])} | "
                     f"{fmt(r['draft_share'], '{:.1%}')} | {fmt(r['agreement_with_ar'])} | "
                     f"{fmt(r['repetition'], '{:.1%}')} |")
    cats = sorted({c for r in methods.values() for c in r["by_category"]})
    lines += ["", "Speedup over plain decoding by category:", "",
              "| method | " + " | ".join(cats) + " |", "|---|" + "---|" * len(cats)]
    for name, r in methods.items():
        lines.append(f"| {name} | " + " | ".join(
            fmt(r["by_category"].get(c, {}).get("speedup_vs_ar")) for c in cats) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="aded-bench", description=__doc__.split("\n")[0])
    p.add_argument("--model", help="a catalog name (aded models list) or a GGUF file "
                   f"(default: {DEFAULT_MODEL.name})")
    p.add_argument("--set", choices=list(PROMPT_SETS), default="mt-bench",
                   help="the prompt set: MT-Bench, questions about attached documents, or code "
                        "edits and text rewrites")
    p.add_argument("--prompts", type=Path, help="a prompt file instead of the set's")
    p.add_argument("--methods", default="ar,llama-cpp,pld2,pld10,aded",
                   help=f"comma-separated, from {','.join(ALL_METHODS)}")
    p.add_argument("--turns", choices=["1", "2", "both"], default="both")
    p.add_argument("--limit", type=int)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--threads", type=int)
    p.add_argument("--ctx", type=int, default=4096)
    p.add_argument("--warmup", type=Path, help="prompt file decoded (and learned) first: warm history")
    p.add_argument("--no-learn", action="store_true",
                   help="do not add finished exchanges to the history table during the run")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    p.add_argument("--data-dir", type=Path, help="tables and caches (default: a fresh temporary folder)")
    p.add_argument("--llama-server", metavar="PATH",
                   help="also run this llama.cpp server binary (loopback), plain and in "
                        "its n-gram speculation modes, on the same prompt tokens")
    p.add_argument("--sampling", choices=list(SAMPLINGS), default="greedy",
                   help="greedy, or chat: the app's default sampling (temperature "
                        f"{CHAT_SAMPLING.temperature}, top-k {CHAT_SAMPLING.top_k}, top-p "
                        f"{CHAT_SAMPLING.top_p}, min-p {CHAT_SAMPLING.min_p}, repeat penalty "
                        f"{CHAT_SAMPLING.repeat_penalty} over {CHAT_SAMPLING.repeat_last_n}); "
                        "the same seed for every method on a prompt")
    p.add_argument("--background", choices=list(LOADS),
                   help="run beside a reproducible load: spin (one process keeps one core "
                        "busy) or wake (one process wakes 200 times a second)")
    p.add_argument("--fixed-threads", action="store_true",
                   help="keep the thread count fixed (the ablation of the thread governor, "
                        "which otherwise tries fewer threads when steps slow down)")
    p.add_argument("--table-load", type=int, metavar="TOKENS",
                   help="only time loading a history table learned from this many tokens")
    args = p.parse_args(argv)
    if args.table_load:
        print(json.dumps(measure_table_load(args.table_load)))
        return 0

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(ALL_METHODS)
    if unknown:
        p.error(f"unknown methods: {', '.join(sorted(unknown))}")
    if "ar" not in methods:
        methods.insert(0, "ar")  # every speedup is relative to plain decoding in this run
    add_llama_server_methods(p, methods, args.llama_server, LLAMA_SERVER_MODES)
    if args.sampling != "greedy" and set(methods) & (set(PEERS) | set(LLAMA_SERVER_MODES)):
        p.error("the peers decode greedily: with --sampling chat use ar and the aded methods")
    with tempfile.TemporaryDirectory(prefix="aded-bench-") as tmp:
        set_data_dir(args.data_dir or tmp)
        log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
        model = str(resolve_model(args.model, log=log))
        log(f"loading {Path(model).name} (its first use on this computer checks it in a child "
            "process and times batches of 1-32 rows: up to a few minutes)")
        bench = Bench(model, methods, args.threads, args.ctx, args.max_tokens, args.llama_server,
                      SAMPLINGS[args.sampling])
        if args.fixed_threads:
            bench.session.governor = None
        try:
            if args.warmup:
                log(f"warm-up on {args.warmup}")
                bench.run(load_prompts(args.warmup, None), "both", True, log, methods=["ar"])
            prompts = load_prompts(args.prompts or PROMPT_SETS[args.set], args.limit)
            with background_load(args.background):
                load_before = os.getloadavg()[0]
                report, records = bench.run(prompts, args.turns, not args.no_learn, log)
                load_after = os.getloadavg()[0]
        finally:
            bench.close()
    result = {"meta": {"model": Path(model).name, "machine": f"{platform.machine()} "
                       f"{platform.processor() or ''} {_cpu_name()}".strip(),
                       "date": time.strftime("%Y-%m-%d"), "threads": bench.session.backend.n_threads,
                       "max_tokens": args.max_tokens, "turns": args.turns, "prompts": len(prompts),
                       "set": "MT-Bench" if args.set == "mt-bench" and not args.prompts
                       else Path(args.prompts or PROMPT_SETS[args.set]).stem,
                       "sampling": args.sampling,
                       "history": "warm" if args.warmup else "cold",
                       # other work inflates ADED's ratio (fewer, bigger calls stall less)
                       "load_average": [round(load_before, 2), round(load_after, 2)],
                       "background": args.background or "none",
                       "thread_governor": bench.session.governor is not None,
                       "batch_cost_ms": dict(zip(bench.session.curve.sizes,
                                                 [round(x, 2) for x in bench.session.curve.ms]))},
              "methods": report, "prompts": records}
    table = markdown_table(result)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(result))
    if args.markdown:
        args.markdown.write_text(table)
    return 0


def _load_words(meta: dict) -> str:
    if "load_average" not in meta:
        return "not recorded"
    before, after = meta["load_average"]
    words = f"{before:.2f} before, {after:.2f} after"
    # the run's own threads (and a declared spinning load) raise the 1-minute average by
    # themselves; more than that came from other programs, which inflate ADED's ratio
    own = meta.get("threads", 0) + (meta.get("background") == "spin")
    if after > before + own + 0.5:
        words += (f" (**other programs loaded the machine during this run**: read its "
                  f"ratios as inflated)")
    return words


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


if __name__ == "__main__":
    sys.exit(main())
