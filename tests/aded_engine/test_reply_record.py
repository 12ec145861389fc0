"""ReplyRecord: the decode loop's numbers plus what the app adds, as one typed record that
writes the same JSON the conversation file has always held, and reads any row tolerantly."""

from dataclasses import replace

from aded_engine.decode import ReplyStats
from aded_engine.reply_record import ReplyRecord

# a finished reply's row, as the app wrote it before the record existed
ROW = {"tokens": 20, "seconds": 1.0, "tokens_per_s": 20.0, "calls": 10, "tokens_per_call": 2.0,
       "nodes_verified": 5, "drafts_accepted": 3, "acceptance_rate": 0.6, "draft_share": 0.001,
       "speedup": 2.2, "finish_reason": "stop", "baseline_ms_per_token": 60.123,
       "dropped_turns": 2, "learned_by": "fp1", "drafted_spans": [[3, 9], [11, 12]]}


def test_of_rounds_the_loop_statistics_like_their_summary():
    stats = ReplyStats(tokens=20, seconds=1.0, calls=10, nodes=5, accepted=3, draft_ms=1.0,
                       verify_ms=500.0, baseline_ms_per_token=60.12345, finish_reason="stop")
    record = ReplyRecord.of(stats, dropped_turns=2, learned_by="fp1")
    assert {k: getattr(record, k) for k in stats.summary()} == stats.summary()
    assert (record.baseline_ms_per_token, record.dropped_turns, record.learned_by) == (
        60.123, 2, "fp1")
    assert record.measured and record.drafted_spans is None


def test_a_row_reads_and_writes_back_unchanged():
    record = ReplyRecord.from_json(ROW)
    assert record.drafted_spans == ((3, 9), (11, 12)) and record.speedup == 2.2
    assert record.to_json() == ROW
    assert list(record.to_json()) == list(ROW)  # the same keys in the same order


def test_a_reply_not_learned_keeps_learned_by_null():
    row = dict(ROW, learned_by=None)
    del row["drafted_spans"]
    assert ReplyRecord.from_json(row).to_json() == row  # null means "no table learned it"


def test_rows_without_numbers_keep_only_what_was_set():
    assert ReplyRecord.failure("disk full").to_json() == {"error": "disk full"}
    assert ReplyRecord.from_json({"error": "disk full"}) == ReplyRecord.failure("disk full")
    stopped = ReplyRecord(finish_reason="cancelled", measured=False)
    assert stopped.to_json() == {"finish_reason": "cancelled"}
    partial = ReplyRecord(drafted_spans=((0, 4),), measured=False)
    assert partial.to_json() == {"drafted_spans": [[0, 4]]}


def test_broken_and_old_rows_read_as_defaults():
    for data in (None, [], "text", 3):
        assert ReplyRecord.from_json(data) == ReplyRecord(measured=False)
    old = ReplyRecord.from_json({"tokens": 30, "speedup": 1.6})  # the first version's rows
    assert (old.tokens, old.speedup, old.tokens_per_s, old.finish_reason) == (30, 1.6, 0.0, "")
    assert old.measured and old.learned_by is None and old.drafted_spans is None
    bad = ReplyRecord.from_json({"tokens": True, "tokens_per_s": "fast", "speedup": "2x",
                                 "calls": 2.5, "learned_by": 7, "tokens_per_call": 3,
                                 "drafted_spans": [[1, 2], [True, 3], "x", [4, 5, 6], [7, 8]]})
    assert (bad.tokens, bad.tokens_per_s, bad.speedup, bad.calls, bad.learned_by) == (
        0, 0.0, None, 0, None)
    assert bad.tokens_per_call == 3.0 and isinstance(bad.tokens_per_call, float)
    assert bad.drafted_spans == ((1, 2), (7, 8))
    assert bad.measured  # it has a "tokens" field, however broken


def test_a_continued_reply_is_one_record_over_both_runs():
    first = ReplyRecord.from_json(dict(ROW, finish_reason="length"))
    later = ReplyRecord.from_json({
        "tokens": 30, "seconds": 3.0, "tokens_per_s": 10.0, "calls": 20, "tokens_per_call": 1.55,
        "nodes_verified": 15, "drafts_accepted": 3, "acceptance_rate": 0.2,
        "draft_share": 0.003, "speedup": 1.0, "finish_reason": "stop",
        "baseline_ms_per_token": 70.0, "learned_by": "fp2", "drafted_spans": [[3, 9], [40, 44]]})
    whole = first.followed_by(later)
    assert (whole.tokens, whole.seconds, whole.calls) == (50, 4.0, 30)
    assert (whole.nodes_verified, whole.drafts_accepted) == (20, 6)
    # the later run ended by itself: its end-of-generation token was produced too (51 / 30)
    assert (whole.tokens_per_s, whole.tokens_per_call, whole.acceptance_rate) == (12.5, 1.7, 0.3)
    assert whole.draft_share == 0.0025  # time-weighted: (0.001 * 1 + 0.003 * 3) / 4
    assert whole.speedup == 1.3  # time-weighted: (2.2 * 1 + 1.0 * 3) / 4
    assert (whole.finish_reason, whole.baseline_ms_per_token, whole.learned_by) == (
        "stop", 70.0, "fp2")
    assert whole.drafted_spans == ((3, 9), (40, 44))
    assert whole.measured

    too_short = ReplyRecord.from_json({"tokens": 4, "seconds": 1.0, "speedup": None})
    assert first.followed_by(too_short).speedup == 2.2  # only the run that measured one
    assert first.followed_by(ReplyRecord(finish_reason="cancelled", measured=False)) == replace(
        first, finish_reason="cancelled")  # the engine gave no numbers: the first run's stand
    assert ReplyRecord(measured=False).followed_by(later) == later


def test_a_busy_reply_says_so_in_its_row_and_a_quiet_old_row_stays_unchanged():
    busy = ReplyStats(tokens=40, seconds=2.0, calls=40, row_ms=[13.0, 13.0, 13.0, 130.0] * 10)
    record = ReplyRecord.of(busy)
    assert record.busy and record.load_ratio == round(busy.load_ratio, 2)
    row = record.to_json()
    assert row["busy"] is True and ReplyRecord.from_json(row) == record
    assert "busy" not in ReplyRecord.from_json(ROW).to_json()  # written only when it was
    assert not ReplyRecord.from_json(dict(ROW, busy=1)).busy  # only a real true is read
    quiet_then_busy = ReplyRecord.from_json(ROW).followed_by(record)
    assert quiet_then_busy.busy  # a continued reply was busy if either run was
