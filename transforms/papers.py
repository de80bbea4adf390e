"""Sightings -> papers: one row per paper with when and how often it was seen."""

from __future__ import annotations

import polars as pl

from lake.schemas import PAPERS


def summarize_papers(sightings: pl.DataFrame) -> pl.DataFrame:
    """Aggregate every sighting of each paper given.

    Pass all sightings of the papers to summarize (not just new ones): days_seen counts distinct
    dates, so it cannot be added up from partial batches. Title and abstract come from the latest
    sighting; ties on date break by snapshot_id so the choice is the same on every run.
    """
    ordered = sightings.sort("snapshot_date", "snapshot_id", "rank")
    papers = ordered.group_by("paper_id").agg(
        pl.col("arxiv_id").drop_nulls().last(),
        pl.col("title").last(),
        pl.col("abstract").drop_nulls().last(),
        pl.col("title_key").last(),
        pl.col("snapshot_date").min().alias("first_seen_date"),
        pl.col("snapshot_date").max().alias("last_seen_date"),
        pl.col("snapshot_date").n_unique().cast(pl.Int32).alias("days_seen"),
        pl.len().cast(pl.Int32).alias("sighting_count"),
        pl.col("feed").unique().sort().alias("feeds"),
    )
    return PAPERS.conform(papers.sort("paper_id"))
