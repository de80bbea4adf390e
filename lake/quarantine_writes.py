"""Writes of `quarantine`: rows the gate held back appended once, and a reparse's held rows swapped in."""

from __future__ import annotations

from datetime import date

import polars as pl
from deltalake import write_deltalake

from lake.schemas import QUARANTINE
from lake.snapshot_writes import snapshot_filter, sql_string
from lake.store import Lake
from lake.writes import CommitInfo, append_missing, committing


def store_quarantine(lake: Lake, rows: pl.DataFrame, commit: CommitInfo) -> int:
    """Append quarantined rows not held already (same row, same quarantine_id)."""
    if rows.is_empty():
        return 0
    ids = rows["quarantine_id"].to_list()

    def missing(table: pl.LazyFrame) -> pl.DataFrame:
        held = table.filter(pl.col("quarantine_id").is_in(ids)).select("quarantine_id").collect()
        return rows.filter(~pl.col("quarantine_id").is_in(held["quarantine_id"].to_list()))

    return append_missing(lake, QUARANTINE, missing, commit)


def replace_quarantine(
    lake: Lake, rows: pl.DataFrame, tables: tuple[str, ...], feed: str | None, since: date | None, commit: CommitInfo
) -> int:
    """Swap the held rows of `tables` for the selected snapshots for `rows`: released rows leave, one commit."""
    _, predicate = snapshot_filter(feed, since)
    held_in = ", ".join(f"'{sql_string(table)}'" for table in tables)
    committing(lake, QUARANTINE.name, lambda: write_deltalake(
        lake.table_uri(QUARANTINE.name),
        QUARANTINE.conform(rows).to_arrow(),
        mode="overwrite",
        predicate=f"{predicate} AND \"table\" IN ({held_in})",
        storage_options=lake.storage_options,
        commit_properties=commit.properties(),
    ))
    return rows.height
