"""What a user of llama-cpp-python has today, for the benchmark to compare against:
``Llama.create_chat_completion`` with and without ``LlamaPromptLookupDecoding``; and,
optionally, a llama.cpp server binary with and without its own n-gram speculation
(``LLAMA_SERVER_MODES``).

These are measured through llama-cpp-python's own high-level API on purpose (this is the
only module besides backend.py that imports llama_cpp): the point is to time what users
would run, not our re-implementation of it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import llama_cpp
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding


@dataclass
class PeerResult:
    text: str
    tokens: list[int]
    seconds: float  # from the first generated token to the last (prompt evaluation excluded)
    calls: int  # model evaluations during generation


class _CountingLlama(llama_cpp.Llama):
    """Counts ``eval`` calls, i.e. model calls (a plain subclass: the model still runs)."""

    eval_calls = 0

    def eval(self, tokens):
        self.eval_calls += 1
        return super().eval(tokens)


class LlamaCppPeer:
    def __init__(self, model_path: str, n_threads: int, n_ctx: int, draft_tokens: int = 0):
        draft = LlamaPromptLookupDecoding(num_pred_tokens=draft_tokens) if draft_tokens else None
        # logits_all: prompt lookup needs logits of every drafted row (without it, it fails
        # once more than n_batch tokens have been evaluated)
        self.llama = _CountingLlama(model_path=model_path, n_ctx=n_ctx, n_threads=n_threads,
                                    n_threads_batch=n_threads, n_batch=512, flash_attn=False,
                                    draft_model=draft, logits_all=bool(draft), verbose=False)

    def chat(self, messages: list[dict], max_tokens: int) -> PeerResult:
        first = None
        pieces: list[str] = []
        calls_before = 0
        for chunk in self.llama.create_chat_completion(messages, max_tokens=max_tokens,
                                                       temperature=0.0, stream=True):
            delta = chunk["choices"][0]["delta"].get("content")
            if delta is None:
                continue
            if first is None:
                first = time.perf_counter()
                calls_before = self.llama.eval_calls
            pieces.append(delta)
        end = time.perf_counter()
        text = "".join(pieces)
        tokens = self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return PeerResult(text, tokens, (end - first) if first else 0.0,
                          self.llama.eval_calls - calls_before)


# llama.cpp's server plainly, and with each of its n-gram speculation modes: ngram-mod at
# its defaults (a 24-token lookup and drafts of 48-64 tokens, sized for a GPU) and tuned for
# a small model on a small CPU (short lookups, short drafts), and ngram-map-k
LLAMA_SERVER_MODES = {
    "llama-server": [],
    "llama-server-ngram": ["--spec-type", "ngram-mod"],
    "llama-server-ngram-small": ["--spec-type", "ngram-mod", "--spec-ngram-mod-n-match", "8",
                                 "--spec-ngram-mod-n-min", "2", "--spec-ngram-mod-n-max", "16"],
    "llama-server-map-k": ["--spec-type", "ngram-map-k"],
}


def llama_server_command(binary: str, model_path: str, n_threads: int, n_ctx: int, port: int,
                         mode_args: Sequence[str] = ()) -> list[str]:
    """llama-server on loopback, set up as our backend is: one slot, the same threads for
    one and many rows, flash attention off (its "auto" turns it on for the CPU, where it
    makes a one-row step slower)."""
    return [binary, "-m", model_path, "-t", str(n_threads), "-tb", str(n_threads),
            "-c", str(n_ctx), "-np", "1", "-fa", "off", "--host", "127.0.0.1",
            "--port", str(port), *mode_args]


class LlamaServerPeer:
    """A llama.cpp server binary on loopback: the optional peer ``aded-bench --llama-server
    PATH``, in one of ``LLAMA_SERVER_MODES`` (``mode_args``).

    It decodes the very prompt tokens the other methods get (``/completion`` takes token
    ids), and its generation time is the server's own ``predicted_ms``.
    """

    def __init__(self, binary: str, model_path: str, n_threads: int, n_ctx: int,
                 mode_args: Sequence[str] = (), start_timeout_s: float = 120.0):
        self.port = _free_port()
        self.log = tempfile.TemporaryFile()
        cmd = llama_server_command(binary, model_path, n_threads, n_ctx, self.port, mode_args)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + start_timeout_s
        while not self._healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"{binary} did not start serving {Path(model_path).name}:\n"
                                   f"{self._log_tail()}")
            time.sleep(0.2)

    def _request(self, path: str, body: dict | None = None, timeout: float = 600.0) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())

    def _healthy(self) -> bool:
        try:
            return self._request("/health", timeout=2.0).get("status") == "ok"
        except (OSError, ValueError):
            return False

    def _log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def complete(self, prompt_tokens: list[int], max_tokens: int) -> PeerResult:
        out = self._request("/completion", {
            "prompt": prompt_tokens, "n_predict": max_tokens, "temperature": 0.0, "top_k": 1,
            "cache_prompt": True, "return_tokens": True, "stream": False})
        t = out["timings"]
        tokens = list(out.get("tokens") or [])
        generated = int(t["predicted_n"])
        # the first token comes with the prompt's evaluation; every later call yields one
        # token plus the drafts it accepted
        calls = max(0, generated - 1 - int(t.get("draft_n_accepted", 0)))
        return PeerResult(out.get("content", ""), tokens, float(t["predicted_ms"]) / 1000, calls)

    def close(self) -> None:
        stop_process(self.proc)
        self.log.close()


def stop_process(proc: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """Ask a server process to end; kill it if it has not after ``timeout_s``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_llama_server_methods(parser, methods: list[str], binary: str | None,
                             names: Sequence[str]) -> None:
    """``--llama-server PATH`` adds llama.cpp's server methods ``names`` to ``methods``
    (only those named in ``methods``, when some are); without it, asking for them is an
    argument error (aded-bench and aded-bench-server)."""
    if binary:
        if not Path(binary).is_file():
            parser.error(f"no llama.cpp server at {binary} "
                         "(build one with packaging/build-llama-server.sh)")
        if not set(methods) & set(names):
            methods += list(names)
    elif set(methods) & set(names):
        parser.error("the llama-server methods need --llama-server PATH")
