"""The first load of a model runs in a child process that really dies: a GGUF whose header
says block_count 0 (llama.cpp aborts), and a test-only switch that makes the child kill
itself with SIGILL where ggml's AMX kernels would. This process must survive, pick a safe
configuration or refuse the file in plain words, and remember the verdict."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from aded_engine import probe
from aded_engine.backend import BackendSettings, ModelLoadError
from aded_engine.sampling import SamplingSettings
from aded_engine.session import ChatSession, SessionSettings

SETTINGS = SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2))
HELLO = [{"role": "user", "content": "Say hello."}]


def no_child(*_args):
    raise AssertionError("a remembered verdict must not start a probe child")


@pytest.fixture
def zero_blocks_model(demo_model_path, tmp_path):
    """A copy of the demo model whose header says it has no transformer blocks."""
    path = tmp_path / "zero-blocks.gguf"
    shutil.copyfile(demo_model_path, path)
    with path.open("r+b") as f:
        head = f.read(1 << 20)
        key = b"llama.block_count"
        at = head.index(key) + len(key)
        assert struct.unpack_from("<I", head, at)[0] == 4  # GGUF value type UINT32
        f.seek(at + 4)
        f.write(struct.pack("<I", 0))
    return path


def test_a_model_that_aborts_llama_cpp_is_refused_and_remembered(zero_blocks_model, monkeypatch):
    with pytest.raises(ModelLoadError, match=r"zero-blocks\.gguf: llama\.cpp crashed \(SIGABRT\)"):
        ChatSession(zero_blocks_model, SETTINGS)
    monkeypatch.setattr(probe, "run_child", no_child)
    with pytest.raises(ModelLoadError, match="not opened"):
        ChatSession(zero_blocks_model, SETTINGS)


def test_sigill_in_repacked_kernels_falls_back_to_no_repacking(demo_model_path, monkeypatch):
    monkeypatch.setenv(probe.CRASH_SWITCH, "full")
    s = ChatSession(demo_model_path, SETTINGS)
    assert s.backend.settings.repack is False and s.can_draft
    assert "crashed" in s.load_note and s.info["load_note"] == s.load_note
    reply = s.generate(HELLO, SamplingSettings(max_tokens=24))
    assert reply.stats.tokens > 0
    s.close()
    # the verdict is kept: the next load starts no child and keeps the safe setting
    monkeypatch.delenv(probe.CRASH_SWITCH)
    monkeypatch.setattr(probe, "run_child", no_child)
    again = ChatSession(demo_model_path, SETTINGS)
    assert again.backend.settings.repack is False
    again.close()


def test_sigill_in_every_batch_falls_back_to_plain_decoding(demo_model_path, monkeypatch):
    monkeypatch.setenv(probe.CRASH_SWITCH, "full,no-repack")
    s = ChatSession(demo_model_path, SETTINGS)
    assert s.backend.settings.single_row_batches and not s.can_draft
    assert not s.proposer.settings.enabled  # ADED cannot draft without batches
    assert "one token at a time" in s.load_note
    reply = s.generate(HELLO, SamplingSettings(max_tokens=24))
    # one model call per token; a reply that ends by itself also spent a call on its
    # end-of-generation token, which is not counted as a reply token
    ended = reply.stats.finish_reason == "stop"
    assert reply.stats.tokens > 0 and reply.stats.calls == reply.stats.tokens + ended
    s.close()


def test_sigill_in_every_configuration_refuses_the_file(demo_model_path, monkeypatch):
    monkeypatch.setenv(probe.CRASH_SWITCH, "full,no-repack,single-row")
    with pytest.raises(ModelLoadError, match=r"crashed \(SIGILL\)"):
        ChatSession(demo_model_path, SETTINGS)


def test_a_poisoned_verdict_names_its_file_and_deleting_it_tries_the_model_again(
        demo_model_path, monkeypatch):
    """Issue 22 item 5: a load-verdicts.json saying "refused" for a good model refused it as
    "llama.cpp crashed", with no word of the file that said so or how to try again."""
    from aded_engine.json_map import write_json_entry
    from aded_engine.paths import cache_dir

    path = Path(demo_model_path).resolve()
    settings = BackendSettings(n_ctx=512, n_threads=2)
    verdicts = cache_dir() / "load-verdicts.json"
    write_json_entry(verdicts, probe.combination_key(path, settings),
                     {"mode": "refused", "signal": "SIGSEGV"})
    with monkeypatch.context() as m, pytest.raises(ModelLoadError) as refused:
        m.setattr(probe, "run_child", no_child)
        probe.safe_mode(path, settings)
    message = str(refused.value)
    assert message.startswith(f"{path.name}: llama.cpp crashed (SIGSEGV)")
    assert f"remembered in {verdicts}: delete that file to try the model again" in message
    verdicts.unlink()  # as the message says
    assert probe.safe_mode(path, settings) == (settings, None)  # tried again: it is fine


def test_a_healthy_model_loads_as_asked_and_its_curve_comes_from_the_child(demo_model_path,
                                                                          monkeypatch):
    s = ChatSession(demo_model_path, SETTINGS)
    assert s.load_note is None and s.backend.settings.repack and s.can_draft
    assert len(s.curve.sizes) > 1  # measured by the probe child, read from the cache here
    s.close()
    monkeypatch.setattr(probe, "run_child", no_child)
    ChatSession(demo_model_path, SETTINGS).close()


def test_the_cli_says_so_in_plain_words(demo_model_path, isolated_data_dir):
    env = {**os.environ, probe.CRASH_SWITCH: "full"}
    run = subprocess.run([sys.executable, "-m", "aded_engine.cli", "--data-dir",
                          str(isolated_data_dir), "generate", "--model", str(demo_model_path),
                          "--max-tokens", "8", "Hi"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    assert "note: llama.cpp crashed on this computer" in run.stderr


@pytest.fixture
def no_tokenizer_model(demo_model_path, tmp_path):
    """A copy of the demo model whose metadata says its tokenizer type is "none": llama.cpp
    loads it, then aborts (GGML_ASSERT) at the first token's text."""
    path = tmp_path / "no-tokenizer.gguf"
    shutil.copyfile(demo_model_path, path)
    with path.open("r+b") as f:
        head = f.read(1 << 20)
        key = b"tokenizer.ggml.model"
        at = head.index(key) + len(key)
        kind, length = struct.unpack_from("<IQ", head, at)
        assert (kind, length, head[at + 12:at + 16]) == (8, 4, b"gpt2")  # a 4-byte string
        f.seek(at + 12)
        f.write(b"none")
    return path


def test_a_crafted_tokenizer_is_refused_in_words_not_by_an_abort(no_tokenizer_model):
    with pytest.raises(ModelLoadError, match="crashed .*reading this model's tokenizer"):
        ChatSession(no_tokenizer_model, SETTINGS)
    with pytest.raises(ModelLoadError, match="tokenizer"):
        probe.check_tokenizer(no_tokenizer_model)


def test_forgetting_in_a_table_whose_model_has_a_crafted_tokenizer_does_not_abort(
        no_tokenizer_model):
    from aded_engine.json_map import write_json_entry
    from aded_engine.learned_tables import (TableUpdateError, _tokenizers_file,
                                            forget_in_saved_table)
    write_json_entry(_tokenizers_file(), "f" * 16, str(no_tokenizer_model))
    with pytest.raises(TableUpdateError, match="tokenizer"):
        forget_in_saved_table("f" * 16, ["a secret"])
