"""Offline guarantee: a whole chat session of the real window never touches the network.

The session runs in its own process (offline_driver.py): Python-level guards fail and record
every inet connect, name lookup and pip start; where the machine allows it (root, or user
namespaces) the process also runs under ``unshare -n``, a network namespace with no network
at all, which catches C-level traffic too (llama.cpp, Qt) and any child process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).with_name("offline_driver.py")


def can_unshare_network() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def clean_env(**extra: str) -> dict[str, str]:
    """No inherited ADED_DATA_DIR, proxies or virtual environment: HOME (where the demo model
    is kept), a plain PATH, and the model-folder overrides if the caller set them."""
    env = {"HOME": os.environ["HOME"], "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    for key in ("ADED_MODELS_DIR", "XDG_DATA_HOME"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra)
    return env


def run_driver(args: list[str], tmp_path: Path, timeout: float) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(DRIVER), *args]
    if can_unshare_network():
        cmd = ["unshare", "-n", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp_path,
                          env=clean_env(QT_QPA_PLATFORM="offscreen"))


def test_guard_blocks_and_records_network_use(tmp_path):
    """The guard is not a no-op: each way out is refused and recorded."""
    code = (
        "import json, socket, subprocess, sys\n"
        f"sys.path.insert(0, {str(DRIVER.parent)!r})\n"
        "import offline_driver as d\n"
        "d.install_guard()\n"
        "tries = [lambda: socket.create_connection(('example.org', 80), timeout=1),\n"
        "         lambda: socket.getaddrinfo('example.org', 443),\n"
        "         lambda: socket.socket().connect(('127.0.0.1', 9)),\n"
        "         lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', 53)),\n"
        "         lambda: subprocess.run([sys.executable, '-m', 'pip', 'download', 'x'])]\n"
        "refused = 0\n"
        "for t in tries:\n"
        "    try:\n"
        "        t()\n"
        "    except OSError:\n"
        "        refused += 1\n"
        "print(json.dumps({'refused': refused, 'attempts': d.ATTEMPTS}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["refused"] == 5
    assert len(report["attempts"]) == 5


def test_window_session_never_touches_the_network(tmp_path, demo_model_path):
    """Real window offscreen: load the demo model, type a message, Enter, wait for the
    reply, close; the reply is saved in the SQLite file and nothing tried the network."""
    data_dir = tmp_path / "data"
    proc = run_driver([str(data_dir), str(demo_model_path)], tmp_path, timeout=600)
    lines = proc.stdout.strip().splitlines()
    assert lines, f"no report from the driver (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
    report = json.loads(lines[-1])
    assert report["network_attempts"] == [], "the session tried to reach the network"
    assert report["error"] is None, report["error"]
    user, reply = report["messages"]
    assert user["role"] == "user" and user["content"]
    assert reply["role"] == "assistant" and reply["status"] == "complete"
    assert reply["content"].strip()
    assert reply["stats"] and reply["stats"].get("tokens", 0) > 0
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (data_dir / "conversations.db").is_file()


@pytest.mark.skipif(not can_unshare_network(), reason="no network namespaces here")
def test_namespace_really_has_no_network(tmp_path):
    """What the session above runs in: not even a name lookup or loopback succeeds."""
    code = ("import socket\n"
            "try:\n"
            "    socket.create_connection(('1.1.1.1', 53), timeout=3); print('open')\n"
            "except OSError as e:\n"
            "    print('blocked', e.errno)\n")
    proc = subprocess.run(["unshare", "-n", sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path, env=clean_env())
    assert proc.stdout.startswith("blocked"), proc.stdout + proc.stderr
