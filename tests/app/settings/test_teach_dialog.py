"""Model > Teach from documents with the real demo model in a real engine thread: files are
taught with progress, listed with their tokens, removed exactly, and an import can be
cancelled (then nothing of the document is learned); a file that is not text says so."""

from __future__ import annotations

from aded_engine.paths import tables_dir
from aded_engine.table_store import read_table_file, table_path
from aded_engine.trigram import ctx_key
from app.settings.teach_dialog import TeachDialog

NOTES = "Quokkas of Rottnest Island smile for photographs taken by visitors.\n" * 3
RECIPE = "# Soup\n\nSimmer the lentils with cumin until they fall apart.\n"


def holds(layer, tokens) -> bool:
    return all(c in (layer.successors(ctx_key(a, b)) or {})
               for a, b, c in zip(tokens, tokens[1:], tokens[2:]))


def test_teach_list_remove_and_cancel(qtbot, engine, tmp_path):
    session = engine.worker.session
    notes, recipe, image = tmp_path / "notes.txt", tmp_path / "recipe.md", tmp_path / "cat.txt"
    notes.write_text(NOTES)
    recipe.write_text(RECIPE)
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    dialog = TeachDialog(engine)
    qtbot.addWidget(dialog)
    progress = []
    engine.learning.worker.teachProgress.connect(lambda name, f: progress.append((name, f)))
    assert dialog.teach([str(notes), str(image), str(recipe)])  # the image is skipped
    assert not dialog.add_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=120_000)
    assert [r.name for r in dialog.rows] == ["notes.txt", "recipe.md"]
    assert dialog.table.item(0, 0).text() == "notes.txt"
    notes_tokens = session.backend.tokenize(NOTES, parse_special=False)
    assert dialog.rows[0].tokens == len(notes_tokens)
    assert ("notes.txt", 1.0) in progress and ("recipe.md", 1.0) in progress
    assert holds(session.learned.corpus, notes_tokens)

    dialog.table.selectRow(0)
    dialog.remove_selected()
    qtbot.waitUntil(lambda: [r.name for r in dialog.rows] == ["recipe.md"], timeout=60_000)
    path = table_path(tables_dir(), session.fingerprint, "corpus")
    for layer in (session.learned.corpus, read_table_file(path).layer):
        assert not holds(layer, notes_tokens)
        assert holds(layer, session.backend.tokenize(RECIPE, parse_special=False))

    big = tmp_path / "big.log"
    big.write_text("a line of a long log file\n" * 20_000)
    assert dialog.teach([str(big)])
    dialog.cancel()  # before its first piece is read
    qtbot.waitUntil(lambda: not dialog.busy, timeout=60_000)
    assert "Cancelled" in dialog.status.text()
    assert [r.name for r in dialog.rows] == ["recipe.md"]  # nothing of it was taught
    dialog.close()


def test_a_file_that_is_not_text_gets_its_reason(qtbot, engine, tmp_path):
    image = tmp_path / "cat.txt"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    dialog = TeachDialog(engine)
    qtbot.addWidget(dialog)
    failed = []
    engine.learning.worker.teachFailed.connect(failed.append)
    assert dialog.teach([str(image)])
    qtbot.waitUntil(lambda: not dialog.busy, timeout=60_000)
    assert len(failed) == 1 and "cat.txt" in failed[0] and dialog.status.text() == failed[0]
    dialog.close()


def test_the_model_menu_opens_one_dialog_and_keeps_it(qtbot, engine, settings_for):
    from app.mainwindow.model_menu import ModelMenu
    menu = ModelMenu(engine, settings_for())
    menu.on_loaded(engine.info)
    assert menu.teach_action.isEnabled()
    first = menu.teach_documents()
    qtbot.addWidget(first)
    assert first.isVisible() and engine.info["model"] in first.intro.text()
    first.close()
    assert menu.teach_documents() is first and first.isVisible()
    first.close()
