"""The one place that talks to llama.cpp (through llama-cpp-python's low-level API).

Everything else in the engine works on token ids, positions and numpy arrays. Two classes:
``LlamaVocab``, a model file's tokenizer (loaded without weights when only a table needs
it), and ``LlamaBackend``, that plus the weights, the context, the batch and the KV cache. It
makes its own context (instead of ``llama_cpp.Llama``) because ADED needs a unified KV cache
with several sequence ids per token, which ``Llama(...)`` does not expose.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import sys
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

import llama_cpp as ll

from .cpu_cores import default_threads
from .fingerprints import remembered_fingerprint

GGUF_MAGIC = b"GGUF"


class ModelLoadError(Exception):
    """The file could not be loaded as a model; the message names the file and the reason."""


class DecodeError(RuntimeError):
    """llama_decode failed (context full, out of memory, aborted)."""


@dataclass(frozen=True)
class BackendSettings:
    n_ctx: int = 4096
    n_threads: int | None = None  # None: physical cores, at most 8
    n_gpu_layers: int = 0  # passes through to Metal / CUDA builds; CPU builds ignore it
    flash_attn: bool = False
    n_batch: int = 512
    # Sequence ids available for tree branches (one per leaf); seq 0 is the committed text.
    n_seq_max: int = 64
    # llama.cpp's extra buffer types, which repack weights into interleaved rows (cheaper
    # batches for Q4_0/Q4_K/IQ4_NL on x86). False is a safe mode for CPUs or builds where
    # the repacked kernels crash (see probe.py).
    repack: bool = True
    # Split every batch into one-token micro-batches: the last safe mode, for builds whose
    # many-row kernels crash on this CPU (ADED cannot draft then; see probe.py).
    single_row_batches: bool = False


# --- logging: llama.cpp prints to stderr by default; keep the last lines for error messages.
_log_lines: deque[str] = deque(maxlen=40)
_log_lock = threading.Lock()


@ll.llama_log_callback
def _log_callback(level, text, user_data):  # noqa: ARG001 (ctypes signature)
    line = text.decode("utf-8", errors="replace").rstrip()
    if line:
        with _log_lock:
            _log_lines.append(line)
    if os.environ.get("ADED_LLAMA_LOG"):
        sys.stderr.write(text.decode("utf-8", errors="replace"))


_backend_ready = False


def _init_llama() -> None:
    global _backend_ready
    if not _backend_ready:
        ll.llama_log_set(_log_callback, ctypes.c_void_p(0))
        ll.llama_backend_init()
        _backend_ready = True


def _recent_log(n: int = 6) -> str:
    with _log_lock:
        lines = [l for l in _log_lines if "error" in l.lower() or "fail" in l.lower()]
        lines = lines[-n:] or list(_log_lines)[-n:]
    return "\n".join(lines)


def describe_start(head: bytes) -> str:
    """A file's first bytes in words for an error message: text as text, else hex."""
    if not head:
        return "the file is empty"
    if all(32 <= b < 127 for b in head):
        return f"it starts with the text “{head.decode('ascii')}”"
    return "it starts with the bytes " + " ".join(f"{b:02X}" for b in head)


def check_gguf_file(path: Path) -> None:
    """Cheap checks before llama.cpp sees the file, so the common mistakes get plain words."""
    if not path.exists():
        raise ModelLoadError(f"{path}: no such file")
    if not path.is_file():
        raise ModelLoadError(f"{path}: not a file")
    size = path.stat().st_size
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise ModelLoadError(
            f"{path.name}: not a GGUF model file ({describe_start(magic)}; a GGUF file starts "
            f"with the letters GGUF). Open a .gguf file, e.g. one converted with llama.cpp.")
    memory = physical_memory_bytes()
    if memory and size > memory * 0.9:
        raise ModelLoadError(
            f"{path.name}: the model is {size / 2**30:.1f} GiB but this machine has "
            f"{memory / 2**30:.1f} GiB of memory; choose a smaller or more quantized model.")


def file_identity(path: Path) -> list:
    st = path.stat()
    return [str(path), st.st_size, st.st_mtime_ns]


def llama_build_identity() -> list:
    """The llama.cpp libraries this process uses and the CPU features they were compiled
    for: a rebuild or an upgrade is another build."""
    lib = Path(os.environ.get("LLAMA_CPP_LIB_PATH") or Path(ll.__file__).parent / "lib")
    files = sorted(p for p in lib.glob("*") if p.is_file()) if lib.is_dir() else []
    return ([ll.__version__, ll.llama_print_system_info().decode(errors="replace")]
            + [file_identity(p) for p in files])


def physical_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None  # Windows: let llama.cpp report it


class LlamaVocab:
    """A GGUF file's tokenizer, loaded without weights: token ids to text and back, and the
    fingerprint that names its learned tables. On its own it updates the table of a model
    that is not loaded; a ``LlamaBackend`` is one with the weights and a context added.
    """

    def __init__(self, path: str | os.PathLike):
        _init_llama()
        self._model = None
        self.path = Path(path).expanduser().resolve()
        check_gguf_file(self.path)
        model = ll.llama_model_load_from_file(str(self.path).encode(), self._model_params())
        if not model:
            raise ModelLoadError(
                f"{self.path.name}: llama.cpp could not load this model (unsupported "
                f"architecture, truncated or corrupt file).\n{_recent_log()}")
        self._model = model
        self._vocab = ll.llama_model_get_vocab(model)
        self.n_vocab = ll.llama_vocab_n_tokens(self._vocab)
        self._piece_cache: dict[int, bytes] = {}
        self._fingerprint: str | None = None

    def _model_params(self):
        """What of the file to load: here the vocabulary only (LlamaBackend: the weights too)."""
        params = ll.llama_model_default_params()
        params.vocab_only = True
        return params

    @property
    def chat_template(self) -> str | None:
        tmpl = ll.llama_model_chat_template(self._model, None)
        return tmpl.decode("utf-8", errors="replace") if tmpl else None

    @property
    def bos(self) -> int:
        return ll.llama_vocab_bos(self._vocab)

    @property
    def add_bos(self) -> bool:
        return bool(ll.llama_vocab_get_add_bos(self._vocab))

    def is_eog(self, token: int) -> bool:
        return bool(ll.llama_vocab_is_eog(self._vocab, token))

    def token_text(self, token: int) -> str:
        """The vocabulary entry itself (special tokens spelled out), e.g. '<|im_end|>'."""
        return (ll.llama_vocab_get_text(self._vocab, token) or b"").decode("utf-8", "replace")

    def tokenize(self, text: str, add_special: bool = False, parse_special: bool = True) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 16
        buf = (ll.llama_token * cap)()
        n = ll.llama_tokenize(self._vocab, data, len(data), buf, cap, add_special, parse_special)
        if n < 0:
            cap = -n
            buf = (ll.llama_token * cap)()
            n = ll.llama_tokenize(self._vocab, data, len(data), buf, cap, add_special, parse_special)
        return list(buf[:n])

    def piece(self, token: int) -> bytes:
        """Bytes of one token as it appears in output text (control tokens render empty)."""
        cached = self._piece_cache.get(token)
        if cached is None:
            buf = ctypes.create_string_buffer(64)
            n = ll.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = ll.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
            cached = self._piece_cache[token] = buf.raw[:n]
        return cached

    def detokenize(self, tokens: Sequence[int]) -> str:
        return b"".join(self.piece(t) for t in tokens).decode("utf-8", errors="replace")

    @property
    def vocab_fingerprint(self) -> str:
        """Identifies the tokenizer, not the file: models sharing a vocabulary share tables
        (remembered per model file: fingerprints.py)."""
        if self._fingerprint is None:
            self._fingerprint = remembered_fingerprint(file_identity(self.path),
                                                       self._hash_vocabulary)
        return self._fingerprint

    def _hash_vocabulary(self) -> str:
        h = hashlib.sha256(f"{self.n_vocab}:{ll.llama_vocab_type(self._vocab)}".encode())
        for t in range(self.n_vocab):
            h.update(ll.llama_vocab_get_text(self._vocab, t) or b"")
            h.update(b"\0")
        return h.hexdigest()[:32]

    def close(self) -> None:
        if self._model is not None:
            ll.llama_model_free(self._model)
            self._model = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class LlamaBackend(LlamaVocab):
    """A loaded GGUF model (its vocabulary, its weights) with one unified-KV context and a
    reusable batch.

    Invariant: sequence 0 holds the committed conversation; ids 1..n_seq_max-1 exist only
    during one tree verification (see verify.py) and are folded back into 0 afterwards.
    """

    def __init__(self, path: str | os.PathLike, settings: BackendSettings = BackendSettings(),
                 progress: Callable[[float], None] | None = None):
        if settings.n_batch < settings.n_seq_max:
            # llama.cpp aborts the whole process on this (n_outputs_max assertion)
            raise ValueError(f"n_batch ({settings.n_batch}) must be at least n_seq_max "
                             f"({settings.n_seq_max})")
        self.settings = settings
        self.n_threads = settings.n_threads or default_threads()
        self._progress = progress
        self._ctx = None
        self._batch = None
        super().__init__(path)

        n_ctx_train = ll.llama_model_n_ctx_train(self._model)
        cparams = ll.llama_context_default_params()
        cparams.n_ctx = min(settings.n_ctx, n_ctx_train) if n_ctx_train > 0 else settings.n_ctx
        cparams.n_batch = settings.n_batch
        cparams.n_ubatch = 1 if settings.single_row_batches else settings.n_batch
        cparams.n_seq_max = 1 if settings.single_row_batches else settings.n_seq_max
        cparams.kv_unified = True
        cparams.n_threads = self.n_threads
        cparams.n_threads_batch = self.n_threads  # equal: one- and many-token batches comparable
        cparams.flash_attn_type = (ll.LLAMA_FLASH_ATTN_TYPE_ENABLED if settings.flash_attn
                                   else ll.LLAMA_FLASH_ATTN_TYPE_DISABLED)
        cparams.no_perf = True
        ctx = ll.llama_init_from_model(self._model, cparams)
        if not ctx:
            self.close()
            raise ModelLoadError(
                f"{self.path.name}: could not create a context of {cparams.n_ctx} tokens "
                f"(out of memory?).\n{_recent_log()}")
        self._ctx = ctx
        self._mem = ll.llama_get_memory(ctx)
        self.n_ctx = ll.llama_n_ctx(ctx)
        self._batch = ll.llama_batch_init(settings.n_batch, 0, settings.n_seq_max)

    def _model_params(self):
        params = ll.llama_model_default_params()
        params.n_gpu_layers = self.settings.n_gpu_layers
        params.use_extra_bufts = self.settings.repack
        if self._progress is not None:
            report = self._progress

            def _on_progress(fraction, _user):
                report(float(fraction))
                return True
            self._progress_cb = ll.llama_progress_callback(_on_progress)  # keep alive
            params.progress_callback = self._progress_cb
        return params

    # --- description -----------------------------------------------------------------
    @property
    def description(self) -> str:
        buf = ctypes.create_string_buffer(256)
        ll.llama_model_desc(self._model, buf, len(buf))
        return buf.value.decode("utf-8", errors="replace")

    @property
    def device_name(self) -> str:
        """'CPU', or the GPU backend when layers are offloaded ('CUDA', 'Metal', ...)."""
        if self.settings.n_gpu_layers == 0 or not ll.llama_supports_gpu_offload():
            return "CPU"
        info = ll.llama_print_system_info().decode(errors="replace")
        for name in ("CUDA", "Metal", "Vulkan", "ROCm", "HIP", "SYCL"):
            if name.upper() in info.upper():
                return name
        return "GPU"

    @property
    def n_ctx_train(self) -> int:
        """The longest context the model was trained for (0: not stated)."""
        return max(0, ll.llama_model_n_ctx_train(self._model))

    @property
    def n_head(self) -> int:
        return ll.llama_model_n_head(self._model)

    def meta(self, key: str) -> str | None:
        """A GGUF metadata value as text, e.g. meta('general.architecture')."""
        buf = ctypes.create_string_buffer(256)
        n = ll.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", errors="replace") if n >= 0 else None

    def kv_bytes_per_token(self) -> int:
        """Bytes of KV cache one token of context takes: keys and values (f16, the context's
        default type) of every layer, n_head_kv heads of the key and value head sizes."""
        arch = self.meta("general.architecture") or ""
        head = ll.llama_model_n_embd(self._model) // max(1, self.n_head)
        k = int(self.meta(f"{arch}.attention.key_length") or head)
        v = int(self.meta(f"{arch}.attention.value_length") or head)
        n_kv = ll.llama_model_n_head_kv(self._model)
        return ll.llama_model_n_layer(self._model) * n_kv * (k + v) * 2

    # --- evaluation ------------------------------------------------------------------
    def decode(self, tokens: Sequence[int], positions: Sequence[int],
               seq_ids: Sequence[Sequence[int]] | None = None,
               logits: Sequence[bool] | None = None) -> np.ndarray:
        """One ``llama_decode`` call. Returns the logits of the rows that asked for them,
        shape (n_rows_with_logits, n_vocab), a view valid until the next decode."""
        n = len(tokens)
        if n == 0 or n > self.settings.n_batch:
            raise ValueError(f"batch of {n} tokens (allowed 1..{self.settings.n_batch})")
        if max(positions) >= self.n_ctx:
            raise DecodeError(f"context full ({self.n_ctx} tokens)")
        b = self._batch
        b.n_tokens = n
        n_out = 0
        for i in range(n):
            b.token[i] = tokens[i]
            b.pos[i] = positions[i]
            ids = seq_ids[i] if seq_ids is not None else (0,)
            b.n_seq_id[i] = len(ids)
            row = b.seq_id[i]
            for k, s in enumerate(ids):
                row[k] = s
            want = True if logits is None else bool(logits[i])
            b.logits[i] = want
            n_out += want
        rc = ll.llama_decode(self._ctx, b)
        if rc != 0:
            raise DecodeError(f"llama_decode returned {rc} ({'no room in the KV cache' if rc == 1 else 'error'})"
                              f"\n{_recent_log(3)}")
        ptr = ll.llama_get_logits(self._ctx)
        return np.ctypeslib.as_array(ptr, shape=(n_out, self.n_vocab))

    def eval_prompt(self, tokens: Sequence[int], start_pos: int) -> np.ndarray:
        """Evaluate a run of tokens into sequence 0 in n_batch chunks; logits of the last one."""
        step = self.settings.n_batch
        out = None
        for i in range(0, len(tokens), step):
            chunk = tokens[i:i + step]
            last = i + step >= len(tokens)
            flags = [False] * (len(chunk) - 1) + [last]
            out = self.decode(chunk, range(start_pos + i, start_pos + i + len(chunk)), None, flags)
        return out[-1]

    def set_threads(self, n_threads: int) -> None:
        """Threads for the next decodes (thread_governor.py changes it while decoding)."""
        self.n_threads = n_threads
        ll.llama_set_n_threads(self._ctx, n_threads, n_threads)

    # --- KV cache --------------------------------------------------------------------
    def seq_rm(self, seq: int, p0: int, p1: int = -1) -> bool:
        return bool(ll.llama_memory_seq_rm(self._mem, seq, p0, p1))

    def seq_cp(self, src: int, dst: int, p0: int = -1, p1: int = -1) -> None:
        ll.llama_memory_seq_cp(self._mem, src, dst, p0, p1)

    def seq_keep(self, seq: int) -> None:
        ll.llama_memory_seq_keep(self._mem, seq)

    def seq_pos_range(self, seq: int) -> tuple[int, int]:
        """(min, max) position held by a sequence; (-1, -1) when empty."""
        return (ll.llama_memory_seq_pos_min(self._mem, seq), ll.llama_memory_seq_pos_max(self._mem, seq))

    def clear(self) -> None:
        ll.llama_memory_clear(self._mem, True)

    def close(self) -> None:
        if self._batch is not None:
            ll.llama_batch_free(self._batch)
            self._batch = None
        if self._ctx is not None:
            ll.llama_free(self._ctx)
            self._ctx = None
        super().close()


def quant_types() -> dict[str, int]:
    """Every file type this llama.cpp build can quantize to, by its usual name (q4_k_m, q8_0,
    iq4_nl, f16, ...): taken from the bindings so a newer llama.cpp adds its types by itself."""
    prefix = "LLAMA_FTYPE_MOSTLY_"
    return {name[len(prefix):].lower(): getattr(ll, name) for name in dir(ll)
            if name.startswith(prefix)}


def quantize(source: Path, target: Path, kind: str = "q4_0") -> None:
    """Re-quantize a GGUF. Q4_0 matters on x86 CPUs: llama.cpp repacks it into interleaved
    rows, which makes batched evaluation (and so draft verification) much cheaper."""
    _init_llama()
    check_gguf_file(source)
    params = ll.llama_model_quantize_default_params()
    types = quant_types()
    if kind not in types:
        raise ValueError(f"unknown quantization type {kind!r}; known: {', '.join(sorted(types))}")
    params.ftype = types[kind]
    params.allow_requantize = True
    params.nthread = default_threads()
    if ll.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params)) != 0:
        raise ModelLoadError(f"{source.name}: quantization to {kind} failed\n{_recent_log()}")
