"""What a resumable run asks the lake: which feed-days have landed, and how far each table has got.

Read-only. A feed-day has landed when a snapshot of it is in `snapshots` with a final parse
outcome; `pending` (stored, not loaded yet) and `rejected` (held whole by a batch rule) have not.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from lake.schemas import SNAPSHOTS, TABLES
from lake.store import Lake

# The parse outcomes a finished load leaves (see flows.reports.outcome_frame).
LANDED_STATUSES = ("ok", "partial", "failed")


def landed_feed_days(lake: Lake, feeds: list[str], first_date: date, last_date: date) -> set[tuple[str, date]]:
    """(feed, day) pairs between the two dates, both included, that have a landed snapshot."""
    found = (
        lake.scan(SNAPSHOTS.name)
        .filter(
            pl.col("feed").is_in(feeds)
            & pl.col("snapshot_date").is_between(first_date, last_date)
            & pl.col("parse_status").is_in(LANDED_STATUSES)
        )
        .select("feed", "snapshot_date")
        .unique()
        .collect()
    )
    return set(found.iter_rows())


def snapshot_outcomes(lake: Lake, snapshot_ids: list[str]) -> dict[str, tuple[str, list[str]]]:
    """snapshot_id -> (parse_status, parse_errors) for those of `snapshot_ids` in the lake."""
    found = (
        lake.scan(SNAPSHOTS.name)
        .filter(pl.col("snapshot_id").is_in(snapshot_ids))
        .select("snapshot_id", "parse_status", "parse_errors")
        .collect()
    )
    return {row["snapshot_id"]: (row["parse_status"], row["parse_errors"] or []) for row in found.iter_rows(named=True)}


def table_versions(lake: Lake) -> dict[str, int]:
    """Each table's latest Delta version; -1 for a table not created yet (so a difference counts commits)."""
    return {name: lake.delta(name).version() if lake.has_table(name) else -1 for name in TABLES}
