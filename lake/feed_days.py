"""feed_days: where each live feed stands, one row per feed and day (see transforms/feed_days.py).

The read side answers "what is known of this feed" for planning a run and for `paperlake status`;
the write side records a run's observations in one MERGE per feed.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from lake import table_setup, writes
from lake.schemas import FEED_DAYS, SNAPSHOTS
from lake.store import Lake
from lake.progress import LANDED_STATUSES


def known_days(lake: Lake, feed: str) -> pl.DataFrame:
    """Every feed_days row of `feed`, oldest first."""
    return lake.scan(FEED_DAYS.name).filter(pl.col("feed") == feed).collect().sort("snapshot_date")


def rows_of(lake: Lake, feed: str, days: list[date]) -> pl.DataFrame:
    if not days:
        return FEED_DAYS.empty_frame()
    within = pl.col("snapshot_date").is_between(min(days), max(days))  # a range file stats can skip by
    return lake.scan(FEED_DAYS.name).filter((pl.col("feed") == feed) & within & pl.col("snapshot_date").is_in(days)).collect()


def all_days(lake: Lake) -> pl.DataFrame:
    return lake.read(FEED_DAYS.name).sort("feed", "snapshot_date")


def landed_dates(lake: Lake, feed: str) -> list[date]:
    """Days of `feed` a lake written before feed_days existed has loaded (their state was never recorded)."""
    found = (
        lake.scan(SNAPSHOTS.name)
        .filter((pl.col("feed") == feed) & pl.col("parse_status").is_in(LANDED_STATUSES))
        .select("snapshot_date").unique().collect()
    )
    return found["snapshot_date"].to_list()


def record(lake: Lake, rows: pl.DataFrame, commit: writes.CommitInfo) -> dict:
    """Upsert the observed days' rows: one commit, redone on a concurrent commit like every write."""
    if rows.is_empty():
        return {}
    if not lake.has_table(FEED_DAYS.name):  # a run whose every fetch failed loaded nothing that would create it
        table_setup.ensure_tables(lake)
    # Every stored row of these keys has one of their days: the MERGE reads only the files of those days.
    days = rows["snapshot_date"]
    within = f"t.snapshot_date >= '{days.min().isoformat()}' AND t.snapshot_date <= '{days.max().isoformat()}'"
    return writes.upsert(lake, FEED_DAYS, rows, commit, target_filter=within)


def snapshot_row_counts(lake: Lake, snapshot_ids: list[str]) -> dict[str, int | None]:
    """Rows each loaded snapshot gave (None while it is pending or was rejected)."""
    found = (
        lake.scan(SNAPSHOTS.name).filter(pl.col("snapshot_id").is_in(snapshot_ids))
        .select("snapshot_id", "parse_status", "row_count").collect()
    )
    return {
        row["snapshot_id"]: (row["row_count"] or 0) if row["parse_status"] in LANDED_STATUSES else None
        for row in found.iter_rows(named=True)
    }


def final_row_counts(lake: Lake, feed_days: list[tuple[str, date]], weeks: int) -> dict[tuple[str, date], list[int]]:
    """For each (feed, day): rows of the feed's final days on the same weekday in the `weeks` weeks
    before it, oldest first. One read per feed, whatever the number of days (a backfill judges hundreds).

    The volume rule compares a settling day with these: days in the same state, and weekends with weekends.
    """
    counts: dict[tuple[str, date], list[int]] = {}
    for feed in sorted({feed for feed, _ in feed_days}):
        days = sorted(day for f, day in feed_days if f == feed)
        history = (
            lake.scan(FEED_DAYS.name)
            .filter(
                (pl.col("feed") == feed) & (pl.col("status") == "final") & pl.col("row_count").is_not_null()
                & (pl.col("snapshot_date") >= days[0] - timedelta(weeks=weeks)) & (pl.col("snapshot_date") < days[-1])
            )
            .select("snapshot_date", "row_count").collect().sort("snapshot_date")
        )
        for day in days:
            earlier = history.filter(
                pl.col("snapshot_date").is_between(day - timedelta(weeks=weeks), day, closed="left")
                & (pl.col("snapshot_date").dt.weekday() == day.isoweekday())
            )
            counts[(feed, day)] = earlier["row_count"].to_list()
    return counts


def final_dates(lake: Lake, feed: str, first_date: date, last_date: date) -> list[date]:
    found = (
        lake.scan(FEED_DAYS.name)
        .filter((pl.col("feed") == feed) & (pl.col("status") == "final") & pl.col("snapshot_date").is_between(first_date, last_date))
        .select("snapshot_date").collect()
    )
    return found["snapshot_date"].to_list()
