"""Attach title-only sightings (text page copies) to the arXiv paper with the same normalized title.

A title key that belongs to exactly one arXiv id links; a key shared by several arXiv ids links to
none of them (the sighting keeps its title id) and is reported as ambiguous.
"""

from __future__ import annotations

import polars as pl

from transforms.identity import TITLE_ID_PREFIX


def arxiv_title_index(*frames: pl.DataFrame) -> pl.DataFrame:
    """title_key -> arxiv_id over frames that have both columns, with the number of distinct ids per key."""
    keyed = pl.concat([f.select("title_key", "arxiv_id") for f in frames], how="vertical_relaxed")
    return (
        keyed.filter(pl.col("arxiv_id").is_not_null() & pl.col("title_key").is_not_null())
        .unique()
        .group_by("title_key")
        .agg(pl.col("arxiv_id").sort().alias("arxiv_ids"))
        .with_columns(pl.col("arxiv_ids").list.len().alias("arxiv_id_count"))
    )


def unique_matches(index: pl.DataFrame) -> pl.DataFrame:
    return index.filter(pl.col("arxiv_id_count") == 1).select("title_key", pl.col("arxiv_ids").list.first().alias("linked_arxiv_id"))


def link_title_only(sightings: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    """Title-only rows whose title_key has exactly one arXiv id take that id as paper_id and arxiv_id."""
    linked = sightings.join(unique_matches(index), on="title_key", how="left")
    title_only = pl.col("arxiv_id").is_null() & pl.col("linked_arxiv_id").is_not_null()
    return linked.with_columns(
        pl.when(title_only).then(pl.col("linked_arxiv_id")).otherwise(pl.col("paper_id")).alias("paper_id"),
        pl.when(title_only).then(pl.col("linked_arxiv_id")).otherwise(pl.col("arxiv_id")).alias("arxiv_id"),
    ).drop("linked_arxiv_id")


def ambiguous_titles(sightings: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    """Title-only rows whose title matches several arXiv ids: title_key, title, arxiv_ids."""
    return (
        sightings.filter(pl.col("arxiv_id").is_null())
        .join(index.filter(pl.col("arxiv_id_count") > 1), on="title_key")
        .select("title_key", "title", "arxiv_ids")
        .unique("title_key", keep="first", maintain_order=True)
    )


def relinks(papers: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    """Title-only papers already in the lake that an arXiv id has arrived for: old_paper_id -> arxiv_id."""
    return (
        papers.filter(pl.col("paper_id").str.starts_with(TITLE_ID_PREFIX))
        .join(unique_matches(index), on="title_key")
        .select(pl.col("paper_id").alias("old_paper_id"), pl.col("linked_arxiv_id").alias("arxiv_id"))
    )
