"""Writes and reads of `snapshots` (bronze): the raw payloads stored once, each one's parse outcome,
the selection of snapshots a reparse replaces, and the recent volumes the volume rule compares a day with.
"""

from __future__ import annotations

import bisect
from datetime import date

import polars as pl

from lake.schemas import SNAPSHOTS
from lake.store import Lake
from lake.writes import CommitInfo, append_missing, upsert


def snapshot_states(lake: Lake, snapshot_ids: list[str]) -> dict[str, str]:
    """parse_status of each given snapshot already in the lake."""
    found = (
        lake.scan(SNAPSHOTS.name)
        .filter(pl.col("snapshot_id").is_in(snapshot_ids))
        .select("snapshot_id", "parse_status")
        .collect()
    )
    return dict(found.iter_rows())


def store_snapshots(lake: Lake, snapshots: pl.DataFrame, commit: CommitInfo) -> int:
    """Bronze: append the raw payloads not stored yet (content-hash dedupe)."""
    new = snapshots.unique("snapshot_id", keep="first", maintain_order=True)

    def missing(table: pl.LazyFrame) -> pl.DataFrame:
        stored = table.filter(pl.col("snapshot_id").is_in(new["snapshot_id"].to_list())).select("snapshot_id").collect()
        return new.filter(~pl.col("snapshot_id").is_in(stored["snapshot_id"].to_list()))

    return append_missing(lake, SNAPSHOTS, missing, commit)


def mark_snapshots_loaded(lake: Lake, outcomes: pl.DataFrame, commit: CommitInfo, pending_only: bool = True) -> dict:
    """Record each snapshot's parse outcome; from then on it counts as ingested.

    `pending_only`: the snapshots are still pending (a load's, not a reparse's), so the MERGE reads
    only the files holding a pending snapshot (a load's own appended file), not the raw payloads every
    earlier load stored for the same days. A snapshot another run marked meanwhile keeps that run's outcome.
    """
    columns = ["parse_status", "parse_errors", "row_count", "loaded_at"]
    if pending_only:
        # Pending rows have no loaded_at, marked ones always have one: files with no null loaded_at
        # are skipped. parse_status alone cannot rule out a compacted file whose range runs from
        # 'ok' to 'rejected', which holds 'pending' (a ten-year lake read 90 MB of payloads a load).
        return upsert(lake, SNAPSHOTS, outcomes, commit, columns=columns, target_filter="t.parse_status = 'pending' AND t.loaded_at IS NULL")
    # A reparse's snapshots are loaded ones: the MERGE reads only the files of their days.
    days = (
        lake.scan(SNAPSHOTS.name).filter(pl.col("snapshot_id").is_in(outcomes["snapshot_id"].to_list()))
        .select(pl.col("snapshot_date").min().alias("first"), pl.col("snapshot_date").max().alias("last")).collect().row(0)
    )
    within = f"t.snapshot_date >= '{days[0].isoformat()}' AND t.snapshot_date <= '{days[1].isoformat()}'" if days[0] else None
    return upsert(lake, SNAPSHOTS, outcomes, commit, columns=columns, target_filter=within)


def snapshot_filter(feed: str | None, since: date | None) -> tuple[pl.Expr, str]:
    """The same selection of snapshots as a Polars filter and as a Delta SQL predicate."""
    expr, sql = pl.lit(True), ["true"]
    if feed:
        expr, sql = expr & (pl.col("feed") == feed), sql + [f"feed = '{sql_string(feed)}'"]
    if since:
        expr, sql = expr & (pl.col("snapshot_date") >= since), sql + [f"snapshot_date >= '{since.isoformat()}'"]
    return expr, " AND ".join(sql)


def archived_snapshots(lake: Lake, feed: str | None = None, since: date | None = None) -> pl.DataFrame:
    expr, _ = snapshot_filter(feed, since)
    return lake.scan(SNAPSHOTS.name).filter(expr).sort("snapshot_date", "fetched_at", "snapshot_id").collect()


def sql_string(value: str) -> str:
    """`value` inside a Delta SQL string literal."""
    return value.replace("'", "''")


# How many earlier feed-days the volume rule compares a day with: the last of its own kind (weekdays
# with weekdays, weekend days with weekend days: a Hugging Face Saturday lists a few papers where a
# Tuesday lists fifty), or the last of any kind while fewer than SAME_KIND_MIN_DAYS of its own are loaded.
VOLUME_HISTORY_DAYS = 14
SAME_KIND_MIN_DAYS = 3


def recent_row_counts_of(lake: Lake, feed_days: list[tuple[str, date]], days: int = VOLUME_HISTORY_DAYS) -> dict[tuple[str, date], list[int]]:
    """Rows loaded per day for each (feed, day) on the feed's last `days` loaded days of the day's
    kind before it, oldest first; from one read of `snapshots` (a backfill batch has hundreds)."""
    if not feed_days:
        return {}
    per_day = (
        lake.scan(SNAPSHOTS.name)
        .filter(
            pl.col("feed").is_in(sorted({feed for feed, _ in feed_days}))
            & (pl.col("snapshot_date") < max(day for _, day in feed_days))
            & pl.col("parse_status").is_in(["ok", "partial"])
        )
        .group_by("feed", "snapshot_date")
        .agg(pl.col("row_count").sum())
        .sort("feed", "snapshot_date")
        .collect()
    )
    history = {feed: (group["snapshot_date"].to_list(), group["row_count"].to_list()) for (feed,), group in per_day.group_by("feed")}
    counts = {}
    for feed, day in feed_days:
        dates, rows = history.get(feed, ([], []))
        end = bisect.bisect_left(dates, day)
        start = max(0, end - 4 * days)  # `days` of either kind lie within the last 4 * `days` loaded days
        same_kind = [r for d, r in zip(dates[start:end], rows[start:end]) if _is_weekend(d) == _is_weekend(day)][-days:]
        counts[(feed, day)] = same_kind if len(same_kind) >= SAME_KIND_MIN_DAYS else rows[max(0, end - days) : end]
    return counts


def _is_weekend(day: date) -> bool:
    return day.weekday() >= 5
