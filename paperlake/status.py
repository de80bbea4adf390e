"""`paperlake status`: where each live feed stands, from the `feed_days` table.

Per feed: the day through which everything is final, the days still provisional (when each was
last fetched, whether it changed, when it settles) and anything stuck: a day whose last attempt
failed, or one no run has tried for more than a day and a half (every run fetches every provisional
day: is the schedule running?).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from transforms.feed_days import final_through_date

# Runs are daily and each fetches every provisional day: a day not tried for this long was left behind.
OVERDUE_AFTER = timedelta(hours=36)


def feed_summary(feed_days: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """One row per feed: final through, provisional and stuck day counts, the last fetch."""
    rows = []
    for (feed,), days in feed_days.sort("snapshot_date").group_by("feed", maintain_order=True):
        stuck = stuck_days(days, now)
        open_days = days.filter(pl.col("status") != "final")
        rows.append({
            "feed": feed,
            "final_through_date": final_through_date(days),
            "final_day_count": days.height - open_days.height,
            "provisional_day_count": open_days.height,
            "provisional_from_date": open_days["snapshot_date"].min(),
            "stuck_day_count": stuck.height,
            "last_fetched_at": days["last_fetched_at"].max(),
        })
    return pl.DataFrame(rows, schema={
        "feed": pl.String, "final_through_date": pl.Date, "final_day_count": pl.Int64, "provisional_day_count": pl.Int64,
        "provisional_from_date": pl.Date, "stuck_day_count": pl.Int64, "last_fetched_at": pl.Datetime("us", "UTC"),
    })


def provisional_days(feed_days: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Every day not final yet: when it was last fetched, whether that fetch changed it, and what is wrong."""
    open_days = feed_days.filter(pl.col("status") != "final")
    return open_days.with_columns(
        (pl.col("last_changed_at") == pl.col("last_fetched_at")).fill_null(False).alias("changed_last_fetch"),
        _problem(now).alias("problem"),
    ).select(
        "feed", "snapshot_date", "last_fetched_at", "changed_last_fetch", "fetch_count", "change_count", "row_count",
        "settles_at", "problem",
    ).sort("feed", "snapshot_date")


def stuck_days(feed_days: pl.DataFrame, now: datetime) -> pl.DataFrame:
    return provisional_days(feed_days, now).filter(pl.col("problem").is_not_null())


def _problem(now: datetime) -> pl.Expr:
    last_try = pl.max_horizontal("last_fetched_at", "last_error_at")
    overdue = last_try < pl.lit(now) - pl.duration(hours=OVERDUE_AFTER.total_seconds() / 3600)
    return (
        pl.when(pl.col("last_error").is_not_null()).then(pl.lit("last attempt failed: ") + pl.col("last_error"))
        .when(overdue).then(pl.lit("no run has fetched it for over a day: is the daily run scheduled?"))
        .otherwise(None)
    )
