"""The Linux one-folder bundle: built from scratch with packaging/build-linux.sh, then run
with no Python environment, from another folder, on the demo model (--self-test)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import llama_cpp

from aded_engine.catalog import SMOLLM2

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "aded-chat"
BUNDLED_LLAMA = BUNDLE / "_internal" / "llama_cpp" / "lib"
# AMX tile instructions (ggml's AMX path dies on its worker threads) and AVX-512 registers
AMX = re.compile(r"\b(tile(loadd|loaddt1|stored|zero|release)|[ls][dt]tilecfg|tdp[a-z0-9]+)\b")
AVX512 = re.compile(r"%zmm\d+")
# 8 tokens decoded in ONE llama_decode, printed with the library that computed them
BATCH_OF_8 = """
import sys
from aded_engine.backend import BackendSettings, LlamaBackend
b = LlamaBackend(sys.argv[1], BackendSettings(n_ctx=256, n_threads=2, n_batch=64, n_seq_max=8))
tokens = (b.tokenize("The quick brown fox jumps over the lazy dog") * 2)[:8]
rows = b.decode(tokens, range(8)).shape[0]
cpu = sorted({l.split()[-1] for l in open("/proc/self/maps") if "libggml-cpu" in l})
print("rows", rows, "ggml-cpu", *cpu)
"""

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the Linux bundle is built on Linux")


def stats_line(stdout: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith("stats: "):
            return json.loads(line[len("stats: "):])
    raise AssertionError(f"no statistics printed:\n{stdout}")


@pytest.fixture(scope="module")
def bundle():
    # Always a fresh build (about 1 minute here, --clean; the portable llama.cpp is compiled
    # once per machine and kept): reusing dist/ would need a reliable "up to date" check over
    # the venv, the spec and the sources, which is not cheaper.
    start = time.monotonic()
    build = subprocess.run(["bash", "packaging/build-linux.sh", "--no-test"], cwd=ROOT,
                           capture_output=True, text=True, timeout=3600,
                           env={**os.environ, "ADED_BUNDLE_MODEL": "smollm2-135m"})
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-6000:]
    print(f"bundle built in {time.monotonic() - start:.0f} s")
    return BUNDLE


@pytest.mark.slow
def test_linux_bundle_builds_and_runs_without_python(bundle, tmp_path):
    internal = bundle / "_internal"
    for rel in ["llama_cpp/lib/libllama.so", "llama_cpp/lib/libggml.so.0",
                "llama_cpp/lib/libggml-base.so.0", "llama_cpp/lib/libggml-cpu.so.0",
                "PySide6/Qt/plugins/platforms/libqoffscreen.so",
                "PySide6/Qt/plugins/platforms/libqxcb.so",
                "PySide6/Qt/plugins/platforms/libqwayland.so",
                "aded_engine/data/mt_bench_question.jsonl"]:
        assert (internal / rel).is_file(), f"missing from the bundle: {rel}"
    assert not (internal / "PySide6" / "QtNetwork.abi3.so").exists()
    assert not (internal / "PySide6" / "QtQml.abi3.so").exists()
    for rel in ["install.sh", "aded-chat.desktop", "aded-chat.svg"]:
        assert (BUNDLE / rel).is_file(), f"missing next to the program: {rel}"

    # No virtual environment, no PYTHONPATH, not the checkout as the current folder.
    env = {"HOME": os.environ["HOME"], "PATH": "/usr/bin:/bin"}
    for key in ("ADED_MODELS_DIR", "XDG_DATA_HOME"):  # where the demo model was fetched
        if key in os.environ:
            env[key] = os.environ[key]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = tmp_path / "data"
    # the model the bundle carries (the small one here, see the fixture), from inside it
    model = BUNDLE / "models" / SMOLLM2.file_name
    run = subprocess.run([str(BUNDLE / "aded-chat"), "--self-test", "--data-dir", str(data),
                          "--model", str(model)],
                         cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "self-test OK" in run.stdout
    stats = stats_line(run.stdout)
    assert stats["tokens"] > 0 and stats["calls"] > 0
    assert data.is_dir() and not (elsewhere / "conversations.db").exists()


def disassembly(library: Path) -> str:
    return subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(library)],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_bundled_llama_cpp_is_portable(bundle):
    """x86-64-v3 and nothing newer: no AVX-512, and no AMX in any llama.cpp library."""
    libraries = sorted(BUNDLED_LLAMA.glob("lib*.so*"))
    assert {p.name for p in libraries} >= {"libllama.so", "libggml-cpu.so.0"}
    code = {p.name: disassembly(p) for p in libraries}
    for name, text in code.items():
        assert not AMX.search(text), f"AMX instructions in {name}"
        assert not AVX512.search(text), f"AVX-512 instructions in {name}"
    # the kernels do use AVX2 (a build without SIMD would pass the checks above too)
    assert "%ymm" in code["libggml-cpu.so.0"]


def test_development_build_has_no_amx():
    """The .venv's llama.cpp, compiled for this CPU by packaging/llama-wheel.sh native."""
    lib = Path(llama_cpp.__file__).parent / "lib"
    for name in ("libggml-cpu.so", "libllama.so"):
        assert not AMX.search(disassembly(lib / name)), f"AMX instructions in {name}"


def run_as_cpu(cpu: str, model: Path) -> subprocess.CompletedProcess:
    """BATCH_OF_8 with the bundle's llama.cpp libraries, this CPU emulated by qemu-user.
    (The bundle's own program cannot be used: its bootloader re-executes itself, and
    qemu-user runs a re-executed program natively.)"""
    qemu = shutil.which("qemu-x86_64")
    assert qemu, "qemu-user is needed (bash packaging/dev.sh test installs it as root)"
    env = {**os.environ, "LLAMA_CPP_LIB_PATH": str(BUNDLED_LLAMA),
           "PYTHONPATH": os.pathsep.join([str(ROOT)] + sys.path)}
    return subprocess.run([qemu, "-cpu", cpu, os.path.realpath(sys.executable), "-c",
                           BATCH_OF_8, str(model)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.mark.slow
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x86-64 CPU models")
def test_bundled_llama_cpp_decodes_a_batch_on_an_avx2_only_cpu(bundle, demo_model_path):
    haswell = run_as_cpu("Haswell-v4", demo_model_path)
    assert haswell.returncode == 0, haswell.stderr[-3000:]
    assert f"rows 8 ggml-cpu {BUNDLED_LLAMA / 'libggml-cpu.so.0'}" in haswell.stdout
    # the emulation is real: a CPU without AVX2 dies on the same libraries
    nehalem = run_as_cpu("Nehalem", demo_model_path)
    assert nehalem.returncode != 0 and "rows" not in nehalem.stdout
