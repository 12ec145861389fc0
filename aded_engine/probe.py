"""Try a model in a child process before this process loads it.

Some faults kill a process inside llama.cpp, where Python cannot catch them: ggml's AMX
kernels die with SIGILL on their worker threads (the tile permission is asked for on the
main thread only), a GGUF file whose header says ``block_count`` 0 trips a ``GGML_ASSERT``
abort, and crafted tokenizer metadata aborts or throws at the first token read
(``tokenizer.ggml.model = "none"``). So the first time a model file, llama.cpp build and CPU
meet, a child process opens the model, reads every token of its vocabulary and tokenizes a
sample, then runs a batched decode (the cost curve, which the parent then reads from the
cache instead of measuring it again). Configurations, tried in this order until a child
survives (a child that dies in its tokenizer ends the trial: no configuration changes it):

    full        what was asked for
    no-repack   llama.cpp's extra buffer types off (no repacked weights, no AMX kernels)
    single-row  every batch split into one-token micro-batches: plain decoding only

If even the last child dies by a signal, the file is refused. The verdict is remembered per
combination (``load-verdicts.json`` in the cache folder), so later loads start no child.
``check_tokenizer`` asks the same of a file whose vocabulary alone is about to be read in
this process (a learned table forgetting for a model that is not loaded).
A child that fails with a Python error (a file llama.cpp rejects cleanly) gives no verdict:
the parent's own load then reports that error in plain words.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

from .backend import (BackendSettings, LlamaBackend, LlamaVocab, ModelLoadError,
                      check_gguf_file, file_identity, llama_build_identity)
from .cost import backend_cost_curve, measure_cost_curve
from .json_map import read_json_entry, write_json_entry
from .paths import cache_dir
from .set_aside import add_notes, take_notes

MODES = ("full", "no-repack", "single-row")
TOKENIZER = "tokenizer"  # the vocabulary-only trial of check_tokenizer
REFUSED = "refused"
NOTE = "set aside: "  # a line of the child's output that names a file it set aside
STAGE = "stage: "  # the child says what it is about to do: the last one said is where it died
# tokenized by the child: letters, accents, CJK, a symbol, digits, whitespace and markup
SAMPLE_TEXT = "Hello, wörld! ✓ 日本語 \t\n 123 <|im_start|>user\n"
PROBE_TIMEOUT_S = 600  # a very large model may take minutes to load; a hang gives no verdict
# Test-only: a comma-separated list of modes in which the probe child kills itself with
# SIGILL after loading the model, as ggml's AMX kernels do.
CRASH_SWITCH = "ADED_PROBE_TEST_SIGILL"
CHILD_FLAG = "--aded-probe-child"

NOTES = {
    "no-repack": "llama.cpp crashed on this computer with its repacked (AMX or interleaved) "
                 "kernels for this model, so it runs without them; drafting may pay less.",
    "single-row": "llama.cpp crashed on this computer whenever it evaluated more than one "
                  "token at a time, so this model runs one token at a time: ADED drafting is "
                  "off and long prompts are read slowly.",
}


def mode_settings(settings: BackendSettings, mode: str) -> BackendSettings:
    if mode == "no-repack":
        return replace(settings, repack=False)
    if mode == "single-row":
        return replace(settings, repack=False, single_row_batches=True)
    return settings


def _cpu() -> str:
    """The CPU model and its feature flags (what decides which kernels can run)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        wanted = ("model name", "flags", "Features", "CPU part")
        seen = {l.split(":")[0].strip(): l for l in lines if l.split(":")[0].strip() in wanted}
        return "\n".join(sorted(seen.values()))
    except OSError:
        return f"{platform.machine()} {platform.processor()}"


def combination_key(path: Path, settings: BackendSettings) -> str:
    # "v2": verdicts from before the tokenizer was tried in the child are tried again
    parts = ["v2", file_identity(path), llama_build_identity(), _cpu(), settings.n_gpu_layers,
             settings.flash_attn, settings.n_threads]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def _verdicts_file() -> Path:
    return cache_dir() / "load-verdicts.json"


def safe_mode(path: str | os.PathLike, settings: BackendSettings) -> tuple[BackendSettings, str | None]:
    """The settings to load ``path`` with in this process, and a note in plain words when
    they are not the ones asked for. Raises ModelLoadError for a file that crashes
    llama.cpp in every configuration (or fails the cheap checks)."""
    path = Path(path).expanduser().resolve()
    check_gguf_file(path)
    key = combination_key(path, settings)
    verdict = read_json_entry(_verdicts_file(), key, valid=lambda v: isinstance(v, dict)
                              and v.get("mode") in MODES + (REFUSED,))
    remembered = verdict is not None
    if verdict is None:
        verdict = probe(path, settings)
        if verdict is None:
            return settings, None
        write_json_entry(_verdicts_file(), key, verdict)
    if verdict["mode"] == REFUSED:
        raise refusal(path, verdict, remembered)
    return mode_settings(settings, verdict["mode"]), NOTES.get(verdict["mode"])


def refusal(path: Path, verdict: dict, remembered: bool = False) -> ModelLoadError:
    """The refusal in words, naming the verdicts file it is kept in: a verdict read from
    that file (``remembered``) may be old or not this program's (a copied or edited cache;
    issue 22 item 5), and deleting the file is how the model is tried again."""
    crash = f"llama.cpp crashed ({verdict.get('signal', 'a fatal signal')})"
    when = " when this model was tried before" if remembered else ""
    kept = (f" This verdict is remembered in {_verdicts_file()}: delete that file to try "
            "the model again." if remembered else
            f" This verdict is kept in {_verdicts_file()}: delete that file to try the model "
            "again (after updating llama.cpp, say).")
    if verdict.get("stage") == TOKENIZER:
        return ModelLoadError(
            f"{path.name}: {crash} reading this model's tokenizer{when}, so it is not opened. "
            "Its tokenizer metadata is damaged or not one llama.cpp supports." + kept)
    return ModelLoadError(
        f"{path.name}: {crash} opening or running this model on this computer{when}, even "
        "one token at a time, so it is not opened. The file may be damaged, or need a newer "
        "llama.cpp." + kept)


def check_tokenizer(path: str | os.PathLike) -> None:
    """Before this process reads the vocabulary of ``path`` on its own: raises
    ModelLoadError if reading it crashes llama.cpp (tried once in a child, remembered)."""
    path = Path(path).expanduser().resolve()
    check_gguf_file(path)
    key = hashlib.sha256(json.dumps(["tokenizer", file_identity(path),
                                     llama_build_identity()]).encode()).hexdigest()[:32]
    verdict = read_json_entry(_verdicts_file(), key, valid=lambda v: isinstance(v, dict)
                              and v.get("mode") in (TOKENIZER, REFUSED))
    remembered = verdict is not None
    if verdict is None:
        code, stage = run_child(path, BackendSettings(), TOKENIZER)
        if code is None or (code != 0 and not died_by_signal(code)):
            return  # no verdict: this process's own read reports a clean error in words
        verdict = ({"mode": TOKENIZER} if code == 0 else
                   {"mode": REFUSED, "signal": signal_name(code), "stage": stage})
        write_json_entry(_verdicts_file(), key, verdict)
    if verdict["mode"] == REFUSED:
        raise refusal(path, verdict, remembered)


def probe(path: Path, settings: BackendSettings) -> dict | None:
    """Run the child in each mode until one survives: {"mode": ..., "signal": ...}; None
    when a child fails without crashing or hangs (no verdict)."""
    crash = None
    for mode in MODES:
        code, stage = run_child(path, mode_settings(settings, mode), mode)
        if code == 0:
            return {"mode": mode, "signal": crash}
        if code is None or not died_by_signal(code):
            return None
        crash = signal_name(code)
        if stage == TOKENIZER:
            return {"mode": REFUSED, "signal": crash, "stage": TOKENIZER}
    return {"mode": REFUSED, "signal": crash}


def died_by_signal(exitcode: int) -> bool:
    # POSIX: minus the signal number. Windows has no signals: any code but 0 and Python's 1.
    return exitcode < 0 if os.name == "posix" else exitcode not in (0, 1)


def signal_name(exitcode: int) -> str:
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"exit code {exitcode}"


def child_command() -> list[str]:
    """How to start this module as a program: a frozen bundle is its own interpreter and
    hands ``--aded-probe-child`` to ``main`` here (packaging/aded_chat_entry.py)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_FLAG]
    return [sys.executable, "-m", "aded_engine.probe"]


def run_child(path: Path, settings: BackendSettings, mode: str) -> tuple[int | None, str]:
    """Exit code of a probe child (a fresh interpreter: a plain process, not
    multiprocessing, which would re-run the caller's main script), None if it hung; and the
    last stage it said it began."""
    job = json.dumps({"path": str(path), "settings": asdict(settings), "mode": mode,
                      "cost_cache": str(cache_dir() / "batch-cost.json")})
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run(child_command() + [job], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=PROBE_TIMEOUT_S, text=True, errors="replace")
    except subprocess.TimeoutExpired:
        return None, ""
    lines = done.stdout.splitlines()
    # files the child set aside (it reads the batch-cost cache): said by this process
    add_notes([line[len(NOTE):] for line in lines if line.startswith(NOTE)])
    stages = [line[len(STAGE):] for line in lines if line.startswith(STAGE)]
    return done.returncode, stages[-1] if stages else ""


def exercise_tokenizer(vocab) -> None:
    """What the parent will do with the vocabulary first: read every token's text (its
    fingerprint), tokenize and print back a sample."""
    vocab.vocab_fingerprint
    for token in vocab.tokenize(SAMPLE_TEXT):
        vocab.piece(token)


def main(argv: list[str]) -> int:
    """The child: open the model, read its tokenizer, run the batched decode, exit 0 (or
    die trying, having said which stage it began)."""
    job = json.loads(argv[0])
    if job["mode"] == TOKENIZER:
        print(STAGE + TOKENIZER, flush=True)
        vocab = LlamaVocab(job["path"])
        exercise_tokenizer(vocab)
        vocab.close()
        return 0
    print(STAGE + "load", flush=True)
    backend = LlamaBackend(job["path"], BackendSettings(**job["settings"]))
    print(STAGE + TOKENIZER, flush=True)
    exercise_tokenizer(backend)
    print(STAGE + "decode", flush=True)
    if job["mode"] in os.environ.get(CRASH_SWITCH, "").split(","):
        os.kill(os.getpid(), signal.SIGILL)
    measure_cost_curve(backend, (1, 8), repeats=1)  # the probe: always one batch of 8 rows
    backend_cost_curve(backend, Path(job["cost_cache"]))  # so the parent finds it cached
    backend.close()
    for note in take_notes():
        print(NOTE + note, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
