"""Sightings -> papers: one row per paper with when and how often it was seen, and its newest text."""

from __future__ import annotations

import numpy as np
import polars as pl

from lake.schemas import PAPERS, SIGHTINGS

# A withdrawn arXiv version's abstract is the withdrawal notice, not the paper: its text is used
# only when the paper has no other. (hf_daily marks withdrawals on rows that keep the real text.)
_IS_NOTICE = pl.col("withdrawn_at").is_not_null() & pl.col("arxiv_version").is_not_null()

# Which sighting's title and abstract the paper shows: the newest evidence last. A sighting that
# names its arXiv version beats one that does not (a saved page's copy, a typo in it, is not the
# paper's text); among versions the newest version date (arXiv <updated>) wins, whenever and however
# often it was listed; then the higher version, the later snapshot, its id and the best rank, so
# every run and every load order picks the same row. Without versions: the latest sighting.
TEXT_ORDER = ["_is_text", "_is_versioned", "version_date", "arxiv_version", "snapshot_date", "snapshot_id", "_rank_desc"]

# Counts keep moving for weeks after a paper is listed: the paper shows the latest observation's.
# Sightings from before observations were timed (fetched_at null) count as the oldest.
OBSERVED_ORDER = ["fetched_at", "snapshot_date", "snapshot_id"]

# arXiv's fields come from its newest version (the API shows a paper at its latest one), so a
# comment or DOI a later version drops is dropped here too; Hugging Face's from its latest fetch.
ARXIV_ORDER = ["version_date", "arxiv_version", *OBSERVED_ORDER]
ARXIV_FIELDS = ("primary_category", "categories", "arxiv_comment", "journal_ref", "doi")
# columns of sightings a lake written before issue 15 lacks
LATER_COLUMNS = ("arxiv_version", "version_date", "withdrawn_at", "fetched_at", *ARXIV_FIELDS)


def summarize_papers(sightings: pl.DataFrame) -> pl.DataFrame:
    """Aggregate every sighting of each paper given.

    Pass all sightings of the papers to summarize (not just new ones): days_seen counts distinct
    dates and the newest version may be in an old batch, so neither can be added up from parts.
    Works the same for feeds without versions: their rows fall back to the latest sighting.
    """
    ranked = _with_version_columns(sightings).with_columns(
        (~_IS_NOTICE).alias("_is_text"),
        pl.col("arxiv_version").is_not_null().alias("_is_versioned"),
        (-pl.col("rank")).alias("_rank_desc"),
        (pl.col("authors").list.len() > 0).fill_null(False).alias("_has_authors"),
    )
    ranked = ranked.with_columns(_positions(ranked, order, name) for name, order in _ORDERS.items())
    papers = ranked.group_by("paper_id").agg(
        pl.col("arxiv_id").sort_by(_TEXT).drop_nulls().last(),
        _newest("title"),
        pl.col("abstract").sort_by(_TEXT).drop_nulls().last(),
        _newest("title_key"),
        pl.col("snapshot_date").min().alias("first_seen_date"),
        pl.col("snapshot_date").max().alias("last_seen_date"),
        pl.col("snapshot_date").n_unique().cast(pl.Int32).alias("days_seen"),
        # Listings, not fetches: a day fetched ten times while its list filled is one listing.
        pl.struct("feed", "snapshot_date").n_unique().cast(pl.Int32).alias("sighting_count"),
        pl.col("feed").unique().sort().alias("feeds"),
        pl.col("arxiv_version").max().alias("latest_version"),
        pl.col("arxiv_version").drop_nulls().n_unique().cast(pl.Int32).alias("version_count"),
        _withdrawn_at(),
        _latest_observed("upvotes"),
        _latest_observed("comment_count"),
        _latest_observed("fetched_at", when_present="upvotes").alias("counts_observed_at"),
        _latest_observed("authors", when_present="_has_authors"),
        *(_of_newest_version(column) for column in ARXIV_FIELDS),
        _latest_observed("github_repo", when_present="upvotes"),
        _latest_observed("ai_keywords", when_present="upvotes").alias("keywords"),
    )
    return PAPERS.conform(papers.sort("paper_id"))


def _with_version_columns(sightings: pl.DataFrame) -> pl.DataFrame:
    """Frames read from a lake written before versions were recorded lack these columns: null, then."""
    missing = [c for c in LATER_COLUMNS if c not in sightings.columns]
    return sightings.with_columns(pl.lit(None, dtype=SIGHTINGS.polars_schema[c]).alias(c) for c in missing)


# Each order as one integer column: every row's place in the whole batch sorted by that order.
# Sorting each paper's few rows by one integer is about 3x faster than by six columns.
_TEXT, _OBSERVED, _ARXIV = "_text_place", "_observed_place", "_arxiv_place"
_ORDERS = {_TEXT: TEXT_ORDER, _OBSERVED: OBSERVED_ORDER, _ARXIV: ARXIV_ORDER}


def _positions(frame: pl.DataFrame, order: list[str], name: str) -> pl.Series:
    """Where each row of `frame` stands when it is sorted by `order` (nulls first, ties kept in row order)."""
    rows = frame.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), *order).sort(order, nulls_last=False, maintain_order=True)
    places = np.empty(rows.height, np.uint32)
    places[rows["_row"].to_numpy()] = np.arange(rows.height, dtype=np.uint32)
    return pl.Series(name, places)


def _newest(column: str) -> pl.Expr:
    return pl.col(column).sort_by(_TEXT).last()


def _latest_observed(column: str, when_present: str | None = None) -> pl.Expr:
    """`column` of the latest observation that has a value (of `when_present`, if given)."""
    ordered = pl.col(column).sort_by(_OBSERVED)
    present = pl.col(when_present or column).sort_by(_OBSERVED).is_not_null()
    return ordered.filter(present).last()


def _of_newest_version(column: str) -> pl.Expr:
    """`column` of the newest arXiv version listed (rows with a version are arXiv's); null without one."""
    ordered = pl.col(column).sort_by(_ARXIV)
    is_arxiv = pl.col("arxiv_version").sort_by(_ARXIV).is_not_null()
    return ordered.filter(is_arxiv).last()


def _withdrawn_at() -> pl.Expr:
    """The latest withdrawal, unless an arXiv version dated after it replaced the withdrawn one."""
    withdrawn = pl.col("withdrawn_at").max()
    later_version = pl.col("version_date").filter(pl.col("arxiv_version").is_not_null() & pl.col("withdrawn_at").is_null()).max()
    reinstated = later_version.is_not_null() & (later_version > withdrawn.dt.date())
    return pl.when(reinstated).then(None).otherwise(withdrawn).alias("withdrawn_at")
