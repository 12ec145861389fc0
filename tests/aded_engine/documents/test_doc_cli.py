"""``aded generate --attach``: the reply about a document on the real model, the parts used
on stderr, and a file that is not a document refused before the model loads."""

from aded_engine.cli import main


def test_generate_with_attachments_quotes_the_document(tmp_path, capsys):
    vault = tmp_path / "vault.txt"
    vault.write_text("The secret code of the vault is PELICAN-47. The vault opens at dawn.\n")
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe garden needs water on Sundays.\n")
    # the question after the files: argparse hands it to --attach, main() takes it back
    assert main(["--data-dir", str(tmp_path / "data"), "generate", "--model", "smollm2-135m", "--ctx", "1024",
                 "--threads", "2", "--max-tokens", "32", "--attach", str(vault), str(notes),
                 "What is the secret code of the vault?"]) == 0
    out, err = capsys.readouterr()
    assert "PELICAN-47" in out
    assert "attached vault.txt:" in err and "attached notes.md:" in err
    assert "From the documents: vault.txt, notes.md (whole)" in err


def test_a_file_that_is_not_a_document_is_refused_before_loading(tmp_path, capsys):
    image = tmp_path / "photo.txt"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert main(["--data-dir", str(tmp_path / "data"), "generate", "--model",
                 str(tmp_path / "no-such-model.gguf"), "--attach", str(image), "Describe it"]) == 1
    err = capsys.readouterr().err
    assert "error: photo.txt is a PNG image, not a text document" in err
    assert "no-such-model" not in err  # the model was never opened
