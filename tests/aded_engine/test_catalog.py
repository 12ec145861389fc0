"""The catalog's entries: consistent with each other and with the files they describe."""

from aded_engine.catalog import CATALOG, DEFAULT_MODEL, QWEN_CODER_05B, find
from aded_engine.models import installed_path


def test_names_are_unique_and_found_in_any_case():
    assert len({m.name for m in CATALOG}) == len(CATALOG)
    assert find("Qwen2.5-Coder-0.5B") is QWEN_CODER_05B and find("nothing") is None


def test_the_default_is_the_first_entry_and_a_chat_model():
    assert CATALOG[0] is DEFAULT_MODEL and DEFAULT_MODEL.chat


def test_each_entry_names_its_pieces_licence_and_purpose():
    for m in CATALOG:
        assert m.parts and all("==" in req and member for req, member in m.parts)
        assert len(m.sha256) == 64 and m.licence and m.packaged_by and m.good_for and m.tagline
        assert m.memory > 0


def test_installed_entries_are_as_large_as_the_catalog_says(demo_model_path):
    """The test model at least is installed; sizes drive progress and the free-space check."""
    installed = [m for m in CATALOG if installed_path(m)]
    assert installed
    for m in installed:
        assert installed_path(m).stat().st_size == m.size, m.name
