import json
import os
import subprocess
import sys
from pathlib import Path

from app.main import parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_flags():
    args = parse_args(["--data-dir", "/x", "--model", "m.gguf", "--demo", "--self-test"])
    assert (args.data_dir, args.model, args.demo, args.self_test) == ("/x", "m.gguf", True, True)


def test_self_test_streams_a_reply_and_prints_stats(tmp_path, demo_model):
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # --self-test must set it itself
    proc = subprocess.run([sys.executable, "-m", "app.main", "--self-test", "--data-dir",
                           str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("stats: "))
    stats = json.loads(line[len("stats: "):])
    assert stats["tokens"] > 0 and stats["calls"] > 0 and stats["tokens_per_s"] > 0
    assert "speedup" in stats and "acceptance_rate" in stats
    assert "self-test OK" in proc.stdout
    assert (tmp_path / "cache").is_dir()  # --data-dir took everything under it


def test_self_test_fails_clearly_on_a_bad_model(tmp_path):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_text("nope")
    proc = subprocess.run([sys.executable, "-m", "app.main", "--self-test", "--data-dir",
                           str(tmp_path), "--model", str(bogus)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "not a GGUF" in proc.stderr


def test_self_test_opens_the_real_conversations_and_fails_on_a_damaged_file(tmp_path):
    (tmp_path / "conversations.db").write_bytes(b"SQLite format 3\x00" + bytes(200))
    proc = subprocess.run([sys.executable, "-m", "app.main", "--self-test", "--data-dir",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "self-test FAILED: the conversations cannot be opened" in proc.stderr
    assert "conversations.db is damaged" in proc.stderr
    assert "Traceback" not in proc.stderr
