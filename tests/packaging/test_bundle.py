"""The Linux one-folder bundle: built from scratch with packaging/build-linux.sh, then run
with no Python environment, from another folder, on the demo model (--self-test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "aded-chat"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the Linux bundle is built on Linux")


def stats_line(stdout: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith("stats: "):
            return json.loads(line[len("stats: "):])
    raise AssertionError(f"no statistics printed:\n{stdout}")


@pytest.mark.slow
def test_linux_bundle_builds_and_runs_without_python(tmp_path, demo_model_path):
    # Always a fresh build (about 1 minute here, --clean): reusing dist/ would need a reliable
    # "up to date" check over the venv, the spec and the sources, which is not cheaper.
    start = time.monotonic()
    build = subprocess.run(["bash", "packaging/build-linux.sh", "--no-test"], cwd=ROOT,
                           capture_output=True, text=True, timeout=900)
    build_s = time.monotonic() - start
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-6000:]
    print(f"bundle built in {build_s:.0f} s")

    internal = BUNDLE / "_internal"
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
    run = subprocess.run([str(BUNDLE / "aded-chat"), "--self-test", "--data-dir", str(data)],
                         cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "self-test OK" in run.stdout
    stats = stats_line(run.stdout)
    assert stats["tokens"] > 0 and stats["calls"] > 0
    assert data.is_dir() and not (elsewhere / "conversations.db").exists()
