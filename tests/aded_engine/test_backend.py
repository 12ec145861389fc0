"""The llama.cpp backend on the real demo model: loading errors, tokens, text streaming."""

import pytest

from aded_engine.backend import BackendSettings, LlamaBackend, LlamaVocab, ModelLoadError
from aded_engine.session import TextStream


@pytest.fixture(scope="module")
def backend(demo_model_path):
    b = LlamaBackend(demo_model_path, BackendSettings(n_ctx=512, n_threads=2))
    yield b
    b.close()


def test_not_gguf_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello, I am not a model")
    with pytest.raises(ModelLoadError, match="notes.gguf: not a GGUF"):
        LlamaBackend(bad)


def test_truncated_gguf_is_a_clear_error(tmp_path, demo_model_path):
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(demo_model_path.read_bytes()[:2_000_000])
    with pytest.raises(ModelLoadError, match="cut.gguf: llama.cpp could not load"):
        LlamaBackend(cut)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="no such file"):
        LlamaBackend(tmp_path / "absent.gguf")


def test_model_description(backend):
    assert backend.n_vocab == 49152
    assert backend.device_name == "CPU"
    assert "<|im_start|>" in backend.chat_template
    assert len(backend.vocab_fingerprint) == 32


def test_a_vocabulary_alone_tokenizes_like_the_model_and_cannot_decode(backend):
    vocab = LlamaVocab(backend.path)
    text = "The zebra password is violet-cactus-42."
    assert vocab.tokenize(text) == backend.tokenize(text)
    assert vocab.detokenize(vocab.tokenize(text)) == text
    assert vocab.vocab_fingerprint == backend.vocab_fingerprint
    assert not any(hasattr(vocab, name) for name in ("decode", "eval_prompt", "seq_rm", "n_ctx"))
    vocab.close()


def test_stream_never_splits_a_character(backend):
    text = "Écrire 😀 中文 שלום"
    tokens = backend.tokenize(text)
    stream = TextStream(backend.piece)
    pieces = [stream.feed(t) for t in tokens] + [stream.flush()]
    assert "".join(pieces) == text
    assert not any("\ufffd" in p for p in pieces)
    assert len(tokens) > len(text.split())  # multi-byte characters really span tokens


def test_decode_rejects_positions_beyond_context(backend):
    from aded_engine.backend import DecodeError
    with pytest.raises(DecodeError, match="context full"):
        backend.decode([1], [backend.n_ctx])


@pytest.mark.parametrize("head, words", [
    (b"# ADED notes", "it starts with the text \u201c# AD\u201d"),
    (b"\x7fELF\x02", "it starts with the bytes 7F 45 4C 46"),
    (b"", "the file is empty"),
])
def test_not_gguf_error_names_the_start_in_words(tmp_path, head, words):
    bad = tmp_path / "x.gguf"
    bad.write_bytes(head)
    with pytest.raises(ModelLoadError) as caught:
        LlamaBackend(bad)
    assert words in str(caught.value) and "b'" not in str(caught.value)
