"""The search step of a load as a Prefect task (the work is flows/search_update.py)."""

from __future__ import annotations

import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.search_update import SearchUpdated, update_search_words
from lake import writes
from lake.store import Lake


@task(cache_policy=NO_CACHE)
def update_search(lake: Lake, papers: pl.DataFrame, new_paper_ids: list[str], removed_ids: list[str], commit: writes.CommitInfo) -> SearchUpdated:
    updated = update_search_words(lake, papers, new_paper_ids, removed_ids, commit)
    if updated.built:
        get_run_logger().info("search: words of %d paper(s) appended (%d rows)", updated.paper_count, updated.row_count)
    else:
        get_run_logger().info("search: no word index in this lake yet (build it with `paperlake search-index`)")
    return updated
