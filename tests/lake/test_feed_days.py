"""lake/feed_days.py: what the volume rule compares a settling day with."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import polars as pl

from lake import feed_days, writes
from lake.schemas import FEED_DAYS
from lake.store import Lake

AT = datetime(2024, 6, 1, tzinfo=timezone.utc)


def feed_day_rows(feed: str, first: date, counts: list[int | None], status: str = "final") -> pl.DataFrame:
    days = [first + timedelta(days=i) for i in range(len(counts))]
    return FEED_DAYS.conform(pl.DataFrame({
        "feed": [feed] * len(days), "snapshot_date": days, "status": [status] * len(days),
        "settles_at": [AT] * len(days), "fetch_count": [1] * len(days), "change_count": [1] * len(days),
        "row_count": counts,
    }, schema_overrides={"row_count": pl.Int32}))


def test_each_day_gets_its_weekdays_final_counts_of_the_weeks_before_from_one_read_per_feed(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    monday = date(2024, 4, 1)
    # hf_daily: 9 weeks of days, count = day number; one Monday still provisional, one without a count
    hf = feed_day_rows("hf_daily", monday, list(range(1, 64)))
    hf = hf.with_columns(
        pl.when(pl.col("snapshot_date") == monday + timedelta(weeks=3)).then(pl.lit("provisional")).otherwise("status").alias("status"),
        pl.when(pl.col("snapshot_date") == monday + timedelta(weeks=4)).then(None).otherwise("row_count").alias("row_count"),
    )
    writes.append(lake, FEED_DAYS, hf, writes.CommitInfo("test"))
    writes.append(lake, FEED_DAYS, feed_day_rows("arxiv", monday, [500] * 63), writes.CommitInfo("test"))

    late_monday, late_sunday = monday + timedelta(weeks=9), monday + timedelta(weeks=8, days=6)
    counts = feed_days.final_row_counts(lake, [("hf_daily", late_monday), ("hf_daily", late_sunday), ("arxiv", late_monday)], weeks=8)

    # Mondays of the 8 weeks before, oldest first; week 3's provisional and week 4's uncounted are left out
    assert counts[("hf_daily", late_monday)] == [8, 15, 36, 43, 50, 57]
    assert counts[("hf_daily", late_sunday)] == [7, 14, 21, 28, 35, 42, 49, 56]  # eight weeks back to the day, not the day itself
    assert counts[("arxiv", late_monday)] == [500] * 8
    assert feed_days.final_row_counts(lake, [("hf_daily", monday)], weeks=8) == {("hf_daily", monday): []}
