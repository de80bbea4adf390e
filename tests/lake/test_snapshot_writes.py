"""Writes of `snapshots`: raw payloads stored once, outcomes marked where they sit, recent volumes by kind of day."""

from datetime import date, datetime, timedelta, timezone

import polars as pl

from expectations.batch_checks import volume_problem
from feeds.base import Payload, payload_frame
from lake import snapshot_writes, table_setup, writes
from tests.conftest import archive_payload as payload

COMMIT = writes.CommitInfo(operation="test", run_id="run-1", feed="archive", snapshot_dates=(date(2024, 3, 11), date(2024, 3, 13)))
NOW = datetime(2024, 3, 14, tzinfo=timezone.utc)


def test_raw_snapshots_dedupe_on_content_hash(lake):
    table_setup.ensure_tables(lake)
    first = payload_frame([payload(b"page one", 11), payload(b"page two", 12), payload(b"page one", 13)])
    assert snapshot_writes.store_snapshots(lake, first, COMMIT) == 2
    assert snapshot_writes.store_snapshots(lake, first, COMMIT) == 0
    stored = lake.read("snapshots").sort("snapshot_date")
    assert stored["content"].to_list() == [b"page one", b"page two"]
    assert stored["parse_status"].to_list() == ["pending", "pending"]


def _loaded_snapshot(feed: str, day: date, row_count: int) -> dict:
    at = datetime(2024, 6, 30, tzinfo=timezone.utc)
    return {"snapshot_id": f"{feed}-{day}", "feed": feed, "snapshot_date": day, "source": "test", "format": "hf_json",
            "fetched_at": at, "byte_count": 1, "content": b"x", "parse_status": "ok", "row_count": row_count, "loaded_at": at}


def test_the_volume_rule_compares_a_weekend_day_with_weekend_days_and_a_weekday_with_weekdays(lake):
    from lake.schemas import SNAPSHOTS

    table_setup.ensure_tables(lake)
    june = [date(2024, 6, 1) + timedelta(days=n) for n in range(28)]  # 2024-06-01 is a Saturday
    rows = [_loaded_snapshot("hf_daily", day, 2 if day.weekday() >= 5 else 40) for day in june]
    writes.append(lake, SNAPSHOTS, pl.DataFrame(rows), writes.CommitInfo("test"))
    saturday, monday, early_sunday = date(2024, 6, 29), date(2024, 7, 1), date(2024, 6, 2)

    counts = snapshot_writes.recent_row_counts_of(lake, [("hf_daily", saturday), ("hf_daily", monday), ("hf_daily", early_sunday)])

    assert counts[("hf_daily", saturday)] == [2] * 8  # every weekend day loaded before it (fewer than 14)
    assert counts[("hf_daily", monday)] == [40] * 14  # the last 14 weekdays, not the light weekends between
    assert counts[("hf_daily", early_sunday)] == [2]  # under 3 days of its kind: the last days of any kind
    assert volume_problem(1, counts[("hf_daily", saturday)]) is None  # a quiet Saturday is not a collapse
    assert volume_problem(1, counts[("hf_daily", monday)]) is not None  # a Monday of one paper is


def test_marking_a_load_loaded_rewrites_only_the_files_of_pending_snapshots(lake):
    """A load marks its own snapshots, which sit in the file it appended: the raw payloads earlier loads
    stored for the same days are neither read nor written again."""
    table_setup.ensure_tables(lake)
    first = [payload(b"page one", 11), payload(b"page two", 12)]
    snapshot_writes.store_snapshots(lake, payload_frame(first), COMMIT)
    snapshot_writes.mark_snapshots_loaded(lake, _outcomes(first), COMMIT)
    earlier_files = set(lake.delta("snapshots").file_uris())
    refetched = [payload(b"page one, changed", 11)]
    snapshot_writes.store_snapshots(lake, payload_frame(refetched), COMMIT)

    metrics = snapshot_writes.mark_snapshots_loaded(lake, _outcomes(refetched), COMMIT)

    assert (metrics["num_target_files_scanned"], metrics["num_target_files_skipped_during_scan"]) == (1, 1)
    assert earlier_files <= set(lake.delta("snapshots").file_uris())
    states = dict(lake.read("snapshots").select("content", "parse_status").iter_rows())
    assert states == {b"page one": "ok", b"page two": "ok", b"page one, changed": "ok"}


def test_a_compacted_file_holding_a_rejected_snapshot_is_not_read_when_a_load_is_marked(lake):
    """`maintain` compacts loaded snapshots with their payloads into big files; one rejected snapshot
    among them makes the file's parse_status range (ok .. rejected) hold 'pending' too. Marking a later
    load must still skip it: on a ten-year lake the MERGE read its 90 MB of payloads (2.2 GB) every run."""
    table_setup.ensure_tables(lake)
    old = [payload(b"page one", 11), payload(b"page two", 12)]
    snapshot_writes.store_snapshots(lake, payload_frame(old), COMMIT)
    snapshot_writes.mark_snapshots_loaded(lake, pl.concat([_outcomes(old[:1]), _outcomes(old[1:], status="rejected", row_count=0)]), COMMIT)
    lake.delta("snapshots").optimize.compact()  # what maintain does: one file of both
    stats = pl.DataFrame(lake.delta("snapshots").get_add_actions(flatten=True)).to_dict(as_series=False)
    assert (stats["min.parse_status"], stats["max.parse_status"]) == (["ok"], ["rejected"])
    new = [payload(b"page three", 13)]
    snapshot_writes.store_snapshots(lake, payload_frame(new), COMMIT)

    metrics = snapshot_writes.mark_snapshots_loaded(lake, _outcomes(new), COMMIT)

    assert (metrics["num_target_files_scanned"], metrics["num_target_files_skipped_during_scan"]) == (1, 1)
    states = dict(lake.read("snapshots").select("content", "parse_status").iter_rows())
    assert states == {b"page one": "ok", b"page two": "rejected", b"page three": "ok"}


def test_a_reparse_marks_snapshots_that_were_loaded_before(lake):
    table_setup.ensure_tables(lake)
    pages = [payload(b"page one", 11)]
    snapshot_writes.store_snapshots(lake, payload_frame(pages), COMMIT)
    snapshot_writes.mark_snapshots_loaded(lake, _outcomes(pages), COMMIT)
    snapshot_writes.mark_snapshots_loaded(lake, _outcomes(pages, status="partial", row_count=1), COMMIT, pending_only=False)
    assert lake.read("snapshots").select("parse_status", "row_count").rows() == [("partial", 1)]


def _outcomes(pages: list[Payload], status: str = "ok", row_count: int = 2) -> pl.DataFrame:
    return pl.DataFrame({
        "snapshot_id": [p.snapshot_id for p in pages], "parse_status": [status] * len(pages),
        "parse_errors": [[]] * len(pages), "row_count": [row_count] * len(pages), "loaded_at": [NOW] * len(pages),
    }, schema_overrides={"row_count": pl.Int32, "parse_errors": pl.List(pl.String)})
