import json
import pytest

from app.settings.settings import (RANGES, AppSettings, load_settings, sampling_settings,
                                   save_settings)


def test_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    s = AppSettings(n_threads=3, aded=False, temperature=0.7)
    s.add_recent("/m/a.gguf")
    s.add_recent("/m/b.gguf")
    s.add_recent("/m/a.gguf")
    save_settings(s, path)
    back = load_settings(path)
    assert back == s
    assert back.recent_models == ["/m/a.gguf", "/m/b.gguf"]


def test_corrupt_file_gives_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_bytes(b'{"n_threads": 4, "aded": tru')  # half-written
    assert load_settings(path) == AppSettings()
    path.write_text("[1, 2]")
    assert load_settings(path) == AppSettings()


def test_each_bad_field_falls_back_alone(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"n_threads": "many", "n_ctx": 2048, "aded": "yes",
                                "recent_models": ["/ok.gguf", 5], "top_k": True}))
    s = load_settings(path)
    assert (s.n_threads, s.n_ctx, s.aded, s.top_k) == (0, 2048, True, 40)
    assert s.recent_models == ["/ok.gguf"]


def test_sampling_settings_clamps_and_maps_seed():
    s = sampling_settings({"temperature": -1, "top_p": 7, "seed": -1, "max_tokens": 0})
    assert (s.temperature, s.top_p, s.seed, s.max_tokens) == (0.0, 1.0, None, 1)
    assert sampling_settings({"seed": 42}).seed == 42
    s = sampling_settings({"repeat_penalty": 0.2, "repeat_last_n": 0})
    assert (s.repeat_penalty, s.repeat_last_n) == (1.0, 1)
    assert sampling_settings({"repeat_penalty": 9.0}).repeat_penalty == 2.0


def test_replies_are_sampled_with_a_repeat_penalty_by_default():
    """Greedy replies of small models loop; chat apps sample by default."""
    defaults = AppSettings()
    s = sampling_settings(defaults.sampling_values({}))
    assert not s.greedy and s.temperature == 0.7
    assert (s.repeat_penalty, s.repeat_last_n, s.top_p, s.min_p) == (1.1, 64, 0.95, 0.05)
    greedy = sampling_settings(defaults.sampling_values(defaults.greedy({}, True)))
    assert greedy.greedy and greedy.repeat_penalty == 1.1  # Greedy keeps the penalty


def test_aded_knobs_reach_the_session_settings_and_bad_ones_fall_back(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"draft_simulations": 12, "draft_depth": 99,
                                "table_adaptation": "paper"}))
    s = load_settings(path).session_settings()
    assert s.aded.search_settings.simulations == 12
    assert s.aded.search_settings.max_depth == 16  # clamped
    assert s.table.adaptation == "paper"
    path.write_text(json.dumps({"table_adaptation": "astrology", "draft_depth": "deep"}))
    s = load_settings(path).session_settings()
    assert s.table.adaptation == "decay" and s.aded.search_settings.max_depth == 8


def test_numbers_outside_their_ranges_are_clamped_and_non_numbers_fall_back(tmp_path):
    path = tmp_path / "settings.json"
    # JSON as Python writes and reads it: Infinity and NaN are accepted by json.loads
    path.write_text('{"n_ctx": Infinity, "temperature": NaN, "draft_simulations": 1e9, '
                    '"draft_depth": -5, "n_threads": 1e300, "max_tokens": -Infinity, '
                    '"seed": 1e20, "top_k": 50000}')
    s = load_settings(path)
    assert (s.n_ctx, s.temperature, s.max_tokens) == (4096, 0.7, 512)  # not finite: defaults
    assert (s.draft_simulations, s.draft_depth, s.n_threads) == (512, 1, 256)
    assert (s.seed, s.top_k) == (2**31 - 1, 1000)
    assert s.session_settings().aded.search_settings.simulations == 512
    assert load_settings(path) == load_settings(path)  # NaN did not get in (NaN != NaN)


def test_deeply_nested_or_huge_json_gives_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"n_threads": 3, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert load_settings(path) == AppSettings()
    path.write_text('{"n_threads": 3, "pad": "' + "x" * (2 << 20) + '"}')
    assert load_settings(path) == AppSettings()


def test_a_conversations_stored_sampling_values_are_bounded_too():
    s = sampling_settings({"temperature": float("inf"), "max_tokens": float("inf"),
                           "top_k": 10**12, "repeat_last_n": float("nan"), "seed": 10**30})
    assert (s.temperature, s.max_tokens, s.top_k) == (0.0, 512, 1000)
    assert s.repeat_last_n == 64 and s.seed == 2**31 - 1


def test_reopening_the_last_model_and_conversation_is_on_by_default(tmp_path):
    path = tmp_path / "settings.json"
    assert AppSettings().reopen_last and AppSettings().last_conversation == 0
    path.write_text('{"reopen_last": "yes", "last_conversation": -4}')
    s = load_settings(path)
    assert s.reopen_last and s.last_conversation == 0  # not a bool: default; below 0: clamped
    save_settings(AppSettings(reopen_last=False, last_conversation=12), path)
    assert (load_settings(path).reopen_last, load_settings(path).last_conversation) == (False, 12)


def test_the_settings_dialog_sets_the_reply_length_limit_and_reopening(qtbot):
    from app.settings.dialogs import SettingsDialog

    settings = AppSettings()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    length = dialog.sampling.fields["max_tokens"]
    assert (length.value(), length.minimum(), length.maximum()) == (512, *RANGES["max_tokens"])
    length.setValue(2048)
    dialog.reopen.setChecked(False)
    dialog.apply_to(settings)
    assert settings.max_tokens == 2048 and not settings.reopen_last
    assert sampling_settings(settings.sampling_values({})).max_tokens == 2048


def test_an_integer_too_large_for_a_float_falls_back_or_is_clamped(tmp_path):
    """Issue 22 item 5: 10**400 raised OverflowError in _bounded and stopped every start."""
    from app.settings.settings import take_problems

    take_problems()  # what earlier tests set aside
    huge = "1" + "0" * 400
    path = tmp_path / "settings.json"
    path.write_text('{"n_ctx": ' + huge + ', "n_threads": -' + huge + ', "max_tokens": 100}')
    s = load_settings(path)
    assert (s.n_ctx, s.n_threads, s.max_tokens) == (RANGES["n_ctx"][1], 0, 100)
    assert sampling_settings({"seed": 10**400, "temperature": 10**400}).temperature == 2.0
    assert path.exists() and take_problems() == []  # readable: nothing set aside


@pytest.mark.parametrize("content", [b'{"n_threads": 4, "aded": tru', b"[1, 2]", b"\xff\xfe\x00",
                                     b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"])
def test_a_damaged_settings_file_is_set_aside_and_said(tmp_path, content):
    from app.settings.settings import take_problems

    take_problems()  # what earlier tests set aside
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    assert load_settings(path) == AppSettings()
    copies = list(tmp_path.glob("settings.json.corrupt-*"))
    assert not path.exists() and len(copies) == 1 and copies[0].read_bytes() == content
    [said] = take_problems()
    assert "settings.json" in said and copies[0].name in said and str(tmp_path) in said
    assert load_settings(tmp_path / "missing.json") == AppSettings() and take_problems() == []


def test_the_window_says_which_settings_file_was_set_aside(qtbot, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from app.main import open_window, parse_args
    from app.settings.settings import take_problems
    from app.storage.store import ConversationStore

    path = tmp_path / "settings.json"
    path.write_text("not json")
    take_problems()
    store = ConversationStore(tmp_path / "c.db")
    window = open_window(parse_args([]), store, load_settings(path))
    qtbot.addWidget(window)
    box = window.findChild(QMessageBox, "settingsProblem")
    [copy] = tmp_path.glob("settings.json.corrupt-*")
    assert box is not None and box.isVisible()
    assert "settings.json" in box.text() and copy.name in box.text()
    box.close()
    window.close()
    store.close()


def test_settings_show_the_thread_count_chosen_for_this_computer(qtbot):
    from aded_engine.cpu_cores import default_threads
    from app.settings.dialogs import SettingsDialog
    dialog = SettingsDialog(AppSettings(n_threads=0))
    qtbot.addWidget(dialog)
    assert dialog.threads.text() == f"automatic: {default_threads()} (the physical cores)"
