"""The speed panel and the line under a reply: what each figure says, in words that tell a
share of drafted tokens from a share of the reply, and which reply they are about."""

from dataclasses import replace

from aded_engine.reply_record import ReplyRecord

from app.speed.meter import NOT_ENOUGH, STOPPED_UNSTARTED, SpeedMeter, busy_text, stats_line

RECORD = ReplyRecord.from_json({
    "tokens": 42, "seconds": 0.76, "tokens_per_s": 55.12, "speedup": 1.123,
    "tokens_per_call": 1.3, "nodes_verified": 446, "drafts_accepted": 250,
    "acceptance_rate": 0.56, "finish_reason": "length", "dropped_turns": 2})


def make_meter(qtbot, width: int = 260) -> SpeedMeter:
    meter = SpeedMeter()
    qtbot.addWidget(meter)
    meter.resize(width, 300)
    meter.show()
    return meter


def test_the_meter_says_when_there_is_not_enough_data(qtbot):
    meter = make_meter(qtbot)
    meter.start_reply()
    meter.show_stats(ReplyRecord.from_json({
        "tokens": 5, "tokens_per_s": 40.0, "speedup": None, "tokens_per_call": 1.2,
        "nodes_verified": 4, "drafts_accepted": 2, "acceptance_rate": 0.5}))
    assert meter.values["speedup"].text() == NOT_ENOUGH
    assert meter.values["acceptance_rate"].text() == "2 of 4 drafted tokens accepted (50%)"
    meter.show_stats(ReplyRecord.from_json({"tokens": 20, "tokens_per_s": 50.0, "speedup": 1.25,
                                            "tokens_per_call": 1.4}))
    assert meter.values["speedup"].text() == "1.25× vs plain"
    assert meter.values["acceptance_rate"].text() == "no drafts yet"
    assert meter.plot.points == [(20, 1.25)]
    meter.plot.grab()  # paints without error


def test_no_figure_is_cut_off_in_a_narrow_panel(qtbot):
    meter = make_meter(qtbot, width=260)  # the panel's minimum width in the window
    meter.start_reply()
    meter.show_stats(RECORD)
    meter.values["speedup"].setText(NOT_ENOUGH)
    qtbot.wait(10)
    for key, label in meter.values.items():
        # a word-wrapped label is given the height its text needs at its width
        assert label.height() >= label.heightForWidth(label.width()), key
        longest_word = max(label.text().split(), key=label.fontMetrics().horizontalAdvance)
        assert label.fontMetrics().horizontalAdvance(longest_word) <= label.width(), key


def test_every_figure_says_what_it_means(qtbot):
    meter = make_meter(qtbot)
    for key, label in meter.values.items():
        assert len(label.toolTip()) > 40, key
    assert "plain" in meter.values["speedup"].toolTip()
    assert "share of the reply" in meter.values["acceptance_rate"].toolTip()


def test_the_meter_shows_the_open_conversations_last_reply_or_nothing(qtbot):
    meter = make_meter(qtbot)
    meter.show_stats(RECORD)
    meter.show_last_reply(None)  # a new chat
    assert all(label.text() == "–" for label in meter.values.values())
    assert meter.plot.points == []
    meter.show_last_reply(RECORD)  # back to a chat whose last reply was measured
    assert meter.values["tokens_per_s"].text() == "55.1 tok/s"
    assert meter.values["speedup"].text() == "1.12× vs plain"
    meter.show_last_reply(ReplyRecord.failure("disk on fire"))  # no figures to show
    assert meter.values["speedup"].text() == "–"


def test_stats_line():
    assert stats_line(RECORD) == (
        "42 tokens · 55.1 tok/s · 1.12× vs plain · 1.30 tokens/call · "
        "250 of 446 drafted tokens accepted (56%) · length limit · 2 oldest turns left out")


def test_a_reply_stopped_before_its_first_token_shows_no_figures(qtbot):
    meter = make_meter(qtbot)
    meter.start_reply()
    meter.show_stats(ReplyRecord.from_json({"tokens": 0, "finish_reason": "cancelled"}))
    assert meter.values["tokens_per_s"].text() == STOPPED_UNSTARTED
    assert {meter.values[k].text() for k in ("speedup", "tokens_per_call")} == {"–"}


def test_a_reply_slowed_by_other_programs_says_so_a_quiet_one_does_not(qtbot):
    meter = make_meter(qtbot)
    busy = replace(RECORD, busy=True, load_ratio=3.2)
    meter.show_stats(busy)
    assert meter.busy_note.isVisible() and meter.busy_note.text() == busy_text(busy)
    assert "busy during this reply: other programs used the CPU" in meter.busy_note.text()
    assert len(meter.busy_note.toolTip()) > 40
    assert stats_line(busy) == f"{stats_line(RECORD)}. {busy_text(busy)}"
    meter.show_last_reply(RECORD)  # another conversation, quiet
    assert not meter.busy_note.isVisible() and "busy" not in stats_line(RECORD)
    meter.show_stats(busy)
    meter.start_reply()  # a new reply starts without the last one's note
    assert not meter.busy_note.isVisible()
