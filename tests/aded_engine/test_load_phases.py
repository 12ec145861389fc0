"""Opening a model reports each phase by name and the bar keeps moving after llama.cpp's
own load callback says 100%; each phase's time is kept."""

from aded_engine.backend import BackendSettings
from aded_engine.load_phases import PHASES, LoadPhases
from aded_engine.session import ChatSession, SessionSettings

LABELS = {name: label for name, label, _ in PHASES}


def test_phase_shares_fill_the_bar_once():
    assert abs(sum(share for _, _, share in PHASES) - 1.0) < 1e-9


def test_phases_report_their_part_of_the_bar_and_their_time():
    heard = []
    phases = LoadPhases(lambda fraction, label: heard.append((round(fraction, 3), label)))
    phases.begin("probe")
    phases.begin("weights")
    phases.within(0.5)
    phases.within(7.0)  # a callback out of range cannot push the bar past its phase
    phases.begin("cost")
    phases.done()
    assert heard == [(0.0, LABELS["probe"]), (0.05, LABELS["weights"]),
                     (0.325, LABELS["weights"]), (0.6, LABELS["weights"]),
                     (0.85, LABELS["cost"])]
    assert list(phases.seconds) == ["probe", "weights", "cost"]
    assert all(s >= 0 for s in phases.seconds.values()) and phases.current is None


def test_a_real_load_names_every_phase_in_order(demo_model_path):
    heard = []
    session = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(
        n_ctx=512, n_threads=1)), progress=lambda f, label: heard.append((f, label)))
    try:
        labels = list(dict.fromkeys(label for _, label in heard))
        assert labels == [label for _, label, _ in PHASES]  # context too: after the 100%
        fractions = [f for f, _ in heard]
        assert fractions == sorted(fractions) and fractions[-1] < 1.0
        assert fractions[-1] >= 0.85  # the last phase is shown, not "100%" over all of them
        assert list(session.load_seconds) == [name for name, _, _ in PHASES]
        assert session.info["load_seconds"] == session.load_seconds
    finally:
        session.close()
