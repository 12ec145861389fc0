"""A tokenizer's fingerprint is hashed once per model file and read back afterwards."""

import json

from aded_engine.backend import LlamaVocab, file_identity
from aded_engine.fingerprints import _file, remembered_fingerprint

FP = "0123456789abcdef0123456789abcdef"


def test_computed_once_per_file_identity():
    calls = []

    def compute():
        calls.append(1)
        return FP

    assert remembered_fingerprint(["/m.gguf", 10, 1], compute) == FP
    assert remembered_fingerprint(["/m.gguf", 10, 1], compute) == FP
    assert len(calls) == 1
    assert remembered_fingerprint(["/m.gguf", 10, 2], compute) == FP  # the file changed
    assert len(calls) == 2


def test_a_damaged_record_is_computed_again():
    _file().parent.mkdir(parents=True, exist_ok=True)
    _file().write_text(json.dumps({json.dumps(["/m.gguf", 10, 1]): "not a fingerprint"}))
    assert remembered_fingerprint(["/m.gguf", 10, 1], lambda: FP) == FP
    assert remembered_fingerprint(["/m.gguf", 10, 1], lambda: "never asked") == FP


def test_the_real_vocabulary_reads_back_what_it_hashed(demo_model_path):
    first = LlamaVocab(demo_model_path)
    hashed = first._hash_vocabulary()
    assert first.vocab_fingerprint == hashed
    first.close()
    again = LlamaVocab(demo_model_path)
    saved = json.loads(_file().read_text())
    assert saved == {json.dumps(file_identity(again.path)): hashed}
    assert again.vocab_fingerprint == hashed
    again.close()
