"""``aded-bench-server``: OpenAI-compatible servers side by side, driven by the same OpenAI
client over the same prompts: ours with ADED, ours decoding plainly, llama-cpp-python's own
server (``python -m llama_cpp.server``, when its web dependencies are installed), and with
``--llama-server PATH`` llama.cpp's server plain and in its n-gram speculation modes
(``peers.LLAMA_SERVER_MODES``).

Each server runs in its own process on loopback, started once and warmed up with one short
request; then every prompt goes to every server before the next prompt, in an order that
rotates per prompt, so slow spells of a shared machine hit all alike. A second turn follows
our plain server's first answer. Every reply is streamed, greedy (temperature 0, no repeat
penalty on any server), and timed at the client from its first text to its end (prompt
evaluation excluded, as in ``aded-bench``); its tokens are counted with the model's own
tokenizer, the same for every server. ``overhead`` (ours only): the client's time for a
reply beyond the engine's own (prompt evaluation and decoding, from the reply's ``aded``
field), per token, as a share of one plain decoding step.

JSON of ``--json``::

    {"meta": {model, machine, date, threads, max_tokens, turns, ...},
     "sets": {SET: {"methods": {NAME: {tokens, seconds, tokens_per_s, vs_plain_server,
                                       tokens_per_call, repetition, agreement, overhead}},
                    "prompts": [{question_id, turn, outputs: {NAME: text}}]}}}
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .bench import CODE_EDIT_PROMPTS, DEFAULT_PROMPTS, _cpu_name, load_prompts, repeated_tokens
from .catalog import DEFAULT_MODEL
from .models import resolve_model
from .peers import (LLAMA_SERVER_MODES, _free_port, add_llama_server_methods,
                    llama_server_command, stop_process)
from .trigram import common_prefix

PROMPT_SETS = {"code-edit": CODE_EDIT_PROMPTS, "mt-bench": DEFAULT_PROMPTS}
OURS = {"aded-server": [], "plain-server": ["--no-aded"]}
PLAIN = "plain-server"  # every ratio is against it
START_TIMEOUT_S = 900.0  # a first load probes the model and measures batch costs


@dataclass
class Tally:
    tokens: int = 0  # timed tokens (the first comes with the prompt's evaluation)
    seconds: float = 0.0
    output_tokens: int = 0
    repeated: int = 0
    calls: int = 0  # ours: model calls, from the reply's aded field
    produced: int = 0  # ours: tokens those calls produced (end-of-generation included), ditto
    agreement: list[float] = field(default_factory=list)
    overhead_ms: float = 0.0  # ours: client time beyond the engine's
    baseline_ms: list[float] = field(default_factory=list)  # ours: one plain step, per reply

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    def report(self, plain: "Tally | None") -> dict:
        ref = plain.tokens_per_s if plain else 0.0
        step = sum(self.baseline_ms) / len(self.baseline_ms) if self.baseline_ms else 0.0
        return {"tokens": self.tokens, "seconds": round(self.seconds, 3),
                "tokens_per_s": round(self.tokens_per_s, 2),
                "vs_plain_server": round(self.tokens_per_s / ref, 3) if ref else None,
                "tokens_per_call": round(self.produced / self.calls, 3) if self.calls else None,
                "repetition": round(self.repeated / self.output_tokens, 3)
                if self.output_tokens else None,
                "agreement": round(sum(self.agreement) / len(self.agreement), 3)
                if self.agreement else None,
                "overhead": round(self.overhead_ms / self.output_tokens / step, 4)
                if step and self.output_tokens else None}


class ServerProcess:
    """One server in a child process on a free loopback port, reached with the OpenAI client."""

    def __init__(self, name: str, cmd: list[str], port: int, log_dir: Path):
        from openai import OpenAI  # the client every method is driven with
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        self.client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="local",
                             max_retries=0, timeout=600)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.model = self.client.models.list().data[0].id
                break
            except Exception:  # not listening yet
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(f"{name} did not start:\n"
                                       f"{self.log_path.read_text(errors='replace')[-2000:]}")
                time.sleep(0.5)

    def chat(self, messages: list[dict], max_tokens: int) -> tuple[str, float, dict | None, float]:
        """(text, seconds from the first text to the end, our aded field or None, seconds
        from sending to the end)."""
        sent = time.perf_counter()
        first = None
        parts: list[str] = []
        aded = None
        # repeat_penalty 1 (llama.cpp's name, read by every server here): llama-cpp-python's
        # server would otherwise apply its default 1.1 and decode something else
        stream = self.client.chat.completions.create(model=self.model, messages=messages,
                                                     max_tokens=max_tokens, temperature=0.0,
                                                     stream=True,
                                                     extra_body={"repeat_penalty": 1.0})
        for chunk in stream:
            extra = chunk.model_extra or {}
            aded = extra.get("aded", aded)
            delta = chunk.choices[0].delta.content if chunk.choices else None
            if delta:
                first = first or time.perf_counter()
                parts.append(delta)
        end = time.perf_counter()
        return "".join(parts), (end - first) if first else 0.0, aded, end - sent

    def close(self) -> None:
        stop_process(self.proc, 15.0)
        self.log.close()


def server_commands(methods: list[str], model: str, threads: int, n_ctx: int,
                    llama_server: str | None, data_root: Path, learn: bool) -> dict[str, tuple]:
    """(command, port) per method."""
    out = {}
    for name in methods:
        port = _free_port()
        if name in OURS:
            data = data_root / name  # each its own tables and caches, fresh
            out[name] = ([sys.executable, "-m", "aded_engine.cli", "--data-dir", str(data), "serve",
                          "--model", model, "--port", str(port), "--threads", str(threads),
                          "--ctx", str(n_ctx), *OURS[name], *([] if learn else ["--no-learn"])],
                         port)
        elif name == "llama-cpp-python-server":
            out[name] = ([sys.executable, "-m", "llama_cpp.server", "--model", model,
                          "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
                          "--n_threads", str(threads), "--n_threads_batch", str(threads),
                          "--flash_attn", "false"], port)
        elif name in LLAMA_SERVER_MODES:
            out[name] = (llama_server_command(llama_server, model, threads, n_ctx, port,
                                              LLAMA_SERVER_MODES[name]), port)
    return out


def run_set(servers: dict[str, ServerProcess], prompts: list[dict], turns: str, max_tokens: int,
            tokenize, log) -> dict:
    names = list(servers)
    totals = {m: Tally() for m in names}
    records = []
    rotation = 0
    turn_ids = {"1": [0], "2": [1], "both": [0, 1]}[turns]
    for q in prompts:
        messages: list[dict] = []
        for turn in range(min(max(turn_ids) + 1, len(q["turns"]))):
            messages.append({"role": "user", "content": q["turns"][turn]})
            order = names[rotation % len(names):] + names[:rotation % len(names)]
            rotation += 1
            timed = turn in turn_ids
            outputs = {}
            for m in order if timed else [PLAIN]:
                outputs[m] = servers[m].chat(messages, max_tokens)
            plain_tokens = tokenize(outputs[PLAIN][0])
            if timed:
                for m, (text, seconds, aded, total) in outputs.items():
                    tokens = tokenize(text)
                    t = totals[m]
                    t.tokens += max(0, len(tokens) - 1)
                    t.seconds += seconds
                    t.output_tokens += len(tokens)
                    t.repeated += repeated_tokens(tokens)
                    t.agreement.append(common_prefix(tokens, plain_tokens) / max(1, len(plain_tokens)))
                    if aded:
                        t.calls += aded["calls"]  # the engine's own count, as it reports it
                        t.produced += round(aded["tokens_per_call"] * aded["calls"])
                        t.overhead_ms += 1000 * max(0.0, total - aded["engine_seconds"])
                        t.baseline_ms.append(aded["baseline_ms_per_token"])
                log(f"q{q.get('question_id')} t{turn + 1}: " + "  ".join(
                    f"{m} {max(0, len(tokenize(o[0])) - 1) / max(1e-9, o[1]):.0f}/s"
                    for m, o in outputs.items()))
                records.append({"question_id": q.get("question_id"), "turn": turn + 1,
                                "outputs": {m: o[0] for m, o in outputs.items()}})
            messages.append({"role": "assistant", "content": outputs[PLAIN][0]})
    return {"methods": {m: t.report(totals[PLAIN]) for m, t in totals.items()},
            "prompts": records}


def markdown_table(result: dict) -> str:
    meta = result["meta"]
    lines = [f"Server benchmark {meta['date']} on {meta['machine']}, model `{meta['model']}`, "
             f"{meta['threads']} threads, {meta['max_tokens']} tokens max, greedy, turns: "
             f"{meta['turns']}, the same OpenAI client streaming from each server.", ""]

    def fmt(v, pattern="{:.2f}"):
        return "-" if v is None else pattern.format(v)

    for name, s in result["sets"].items():
        lines += [f"**{name}** ({s['count']} prompts)", "",
                  "| server | tok/s | vs our plain server | tokens/call | repetition | "
                  "agreement with plain | overhead per token |",
                  "|---|---|---|---|---|---|---|"]
        for m, r in s["methods"].items():
            lines.append(f"| {m} | {fmt(r['tokens_per_s'], '{:.1f}')} | "
                         f"{fmt(r['vs_plain_server'])}x | {fmt(r['tokens_per_call'])} | "
                         f"{fmt(r['repetition'], '{:.1%}')} | {fmt(r['agreement'])} | "
                         f"{fmt(r['overhead'], '{:.1%}')} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="aded-bench-server", description=__doc__.split("\n")[0])
    p.add_argument("--model", help="a catalog name (aded models list) or a GGUF file "
                   f"(default: {DEFAULT_MODEL.name})")
    p.add_argument("--sets", default="code-edit,mt-bench",
                   help=f"comma-separated prompt sets from {','.join(PROMPT_SETS)}, or files")
    p.add_argument("--methods", default="aded-server,plain-server,llama-cpp-python-server")
    p.add_argument("--llama-server", metavar="PATH",
                   help="also llama.cpp's server binary, plain and in its n-gram speculation modes")
    p.add_argument("--turns", choices=["1", "2", "both"], default="1")
    p.add_argument("--limit", type=int, help="prompts per set (taken in turn from each category)")
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ctx", type=int, default=4096)
    p.add_argument("--no-learn", action="store_true",
                   help="our servers do not learn from the exchanges they answer")
    p.add_argument("--data-dir", type=Path,
                   help="our servers' tables and caches, one folder each below this one "
                        "(default: fresh temporary folders; a kept one skips the first-load "
                        "probe and batch-cost measurement next time)")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    known = [*OURS, "llama-cpp-python-server", *LLAMA_SERVER_MODES]
    unknown = set(methods) - set(known)
    if unknown:
        p.error(f"unknown methods: {', '.join(sorted(unknown))} (known: {', '.join(known)})")
    if PLAIN not in methods:
        methods.insert(0, PLAIN)
    add_llama_server_methods(p, methods, args.llama_server, LLAMA_SERVER_MODES)
    sets = {}
    for s in (s.strip() for s in args.sets.split(",") if s.strip()):
        path = PROMPT_SETS.get(s, Path(s))
        if not path.is_file():
            p.error(f"no prompt set {s!r} (named sets: {', '.join(PROMPT_SETS)})")
        sets[s] = load_prompts(path, args.limit)
    # what this Python lacks comes after what the arguments got wrong
    if "llama-cpp-python-server" in methods and not _has_llama_cpp_server():
        p.error("llama-cpp-python's server needs its web dependencies: pip install fastapi "
                "uvicorn sse-starlette starlette-context pydantic-settings")

    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    model = str(resolve_model(args.model, log=log))
    from .backend import LlamaVocab
    from .probe import check_tokenizer
    check_tokenizer(model)  # a crafted tokenizer must not abort the benchmark
    vocab = LlamaVocab(model)
    tokenize = lambda text: vocab.tokenize(text, parse_special=False)  # noqa: E731
    servers: dict[str, ServerProcess] = {}
    with tempfile.TemporaryDirectory(prefix="aded-bench-server-") as tmp:
        root = args.data_dir or Path(tmp)
        try:
            for name, (cmd, port) in server_commands(methods, model, args.threads, args.ctx,
                                                     args.llama_server, root,
                                                     not args.no_learn).items():
                log(f"starting {name}")
                if name in OURS and name != next(m for m in methods if m in OURS):
                    # the first of ours probed this model and measured its batch costs here:
                    # the same machine and model, so the others start from that cache
                    first = next(m for m in methods if m in OURS)
                    shutil.copytree(root / first / "cache", root / name / "cache",
                                    dirs_exist_ok=True)
                servers[name] = ServerProcess(name, cmd, port, Path(tmp))
                servers[name].chat([{"role": "user", "content": "Hello"}], 8)  # warm-up
            results = {}
            for name, prompts in sets.items():
                log(f"prompt set {name}: {len(prompts)} prompts")
                results[name] = {"count": len(prompts), **run_set(
                    servers, prompts, args.turns, args.max_tokens, tokenize, log)}
        finally:
            for server in servers.values():
                server.close()
    result = {"meta": {"model": Path(model).name,
                       "machine": f"{_cpu_name() or 'unknown CPU'}",
                       "date": time.strftime("%Y-%m-%d"), "threads": args.threads,
                       "max_tokens": args.max_tokens, "turns": args.turns,
                       "methods": list(servers)}, "sets": results}
    table = markdown_table(result)
    print(table)
    for path, text in ((args.json, json.dumps(result)), (args.markdown, table)):
        if path:
            path.write_text(text)
    return 0


def _has_llama_cpp_server() -> bool:
    return all(importlib.util.find_spec(m) is not None
               for m in ("fastapi", "uvicorn", "sse_starlette", "starlette_context",
                         "pydantic_settings"))


if __name__ == "__main__":
    sys.exit(main())
