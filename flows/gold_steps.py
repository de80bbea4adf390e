"""The gold step of a load as a Prefect task (the work is flows/gold_update.py)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.gold_update import GoldUpdated, update_gold_tables
from lake import writes
from lake.store import Lake


@task(cache_policy=NO_CACHE)
def update_gold(
    lake: Lake, sightings: pl.DataFrame | None, papers: pl.DataFrame, removed_ids: list[str], commit: writes.CommitInfo, now: datetime,
    sightings_version: int | None = None,
) -> GoldUpdated:
    """`sightings`: every sighting of the papers the load touched; `papers`: their rows as merged;
    `removed_ids`: papers the load removed (merged into others); `sightings_version`: the version both were read at."""
    updated = update_gold_tables(lake, sightings, papers, removed_ids, commit, now, sightings_version=sightings_version)
    get_run_logger().info(
        "gold: %d author row(s) written, %d removed; topics of %d week(s) rewritten (%d rows)",
        updated.author_count, updated.removed_author_count, len(updated.weeks), updated.topic_row_count,
    )
    return updated
