"""Papers and sightings -> the gold tables `authors` and `topics`, whole or for the keys a load touched.

Pure: frames in, frames out. The incremental forms give exactly what the full ones give for the
same keys (tests/transforms/test_gold.py holds them to it): an author's row keeps one entry per paper
(its id, the name as listed, its upvotes, the days it was listed), so a load replaces the entries of
the papers it touched and re-adds the rest, never adding counts onto counts.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from lake.schemas import AUTHORS, TOPICS

ARXIV_CATEGORY = "arxiv_category"
HF_KEYWORD = "hf_keyword"
PAPER_LISTING = AUTHORS.polars_schema["paper_listings"].inner  # struct: paper_id, name, upvotes, listed_dates


def author_key_expr(name: pl.Expr) -> pl.Expr:
    """An author's key: accents dropped (NFKD, marks removed), lower case, every run of other than
    letters and digits to one space. So `Tomás Silva`, `tomas  silva` and `Tomas-Silva` are one key;
    `T. Silva` and `Silva, Tomás` are others, and two people of one name are one."""
    return (
        name.str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    )


def topic_expr(keyword: pl.Expr) -> pl.Expr:
    """A Hugging Face keyword as a topic: lower case, whitespace collapsed (`Scaling  Laws` = `scaling laws`)."""
    return keyword.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def week_of(day: pl.Expr) -> pl.Expr:
    """The Monday of `day`'s ISO week."""
    return day.dt.truncate("1w")


# ---- authors ----


def author_papers(papers: pl.DataFrame, sightings: pl.DataFrame) -> pl.DataFrame:
    """One row per (author_key, paper): the name as the paper lists it, the paper's upvotes, its listed days.

    `papers`: paper_id, authors, upvotes (the papers rows). `sightings`: paper_id, snapshot_date, for
    every sighting of those papers.
    """
    listed = sightings.group_by("paper_id").agg(pl.col("snapshot_date").unique().sort().alias("listed_dates"))
    named = (
        papers.select("paper_id", "upvotes", pl.col("authors").alias("name"))
        .explode("name")
        .with_columns(author_key=author_key_expr(pl.col("name")))
        .filter(pl.col("author_key").is_not_null() & (pl.col("author_key") != ""))
        # The same person twice in one list (a feed's typo) is one authorship: the first place wins.
        .unique(["author_key", "paper_id"], keep="first", maintain_order=True)
    )
    return named.join(listed, on="paper_id", how="inner").select("author_key", "paper_id", "name", "upvotes", "listed_dates")


def authors_from(entries: pl.DataFrame) -> pl.DataFrame:
    """`author_papers` rows -> `authors` rows, one per author_key."""
    if entries.is_empty():
        return AUTHORS.empty_frame()
    grouped = entries.sort("author_key", "paper_id").group_by("author_key").agg(
        _display_name(),
        pl.col("paper_id").n_unique().cast(pl.Int32).alias("paper_count"),
        pl.col("listed_dates").list.explode(keep_nulls=False, empty_as_null=False).n_unique().cast(pl.Int32).alias("listed_day_count"),
        pl.col("listed_dates").list.explode(keep_nulls=False, empty_as_null=False).min().alias("first_listed_date"),
        pl.col("listed_dates").list.explode(keep_nulls=False, empty_as_null=False).max().alias("last_listed_date"),
        pl.col("upvotes").fill_null(0).cast(pl.Int64).sum().alias("upvote_count"),
        pl.struct(
            "paper_id", "name", pl.col("upvotes").cast(pl.Int32), pl.col("listed_dates").list.sort()
        ).alias("paper_listings"),
    )
    return AUTHORS.conform(grouped.sort("author_key"))


def _display_name() -> pl.Expr:
    """The spelling the author's papers use most; on a tie, the first in sort order (stable across runs)."""
    counts = pl.col("name").value_counts(sort=False)
    ordered = counts.sort_by(counts.struct.field("count"), counts.struct.field("name"), descending=[True, False])
    return ordered.first().struct.field("name").alias("display_name")


def stored_author_papers(authors: pl.DataFrame) -> pl.DataFrame:
    """`authors` rows back into their `author_papers` rows."""
    if authors.is_empty():
        return pl.DataFrame(schema={"author_key": pl.String, **PAPER_LISTING.to_schema()})
    return authors.select("author_key", "paper_listings").explode("paper_listings").unnest("paper_listings").drop_nulls("paper_id")


def updated_authors(stored: pl.DataFrame, touched: pl.DataFrame, replaced_ids: set[str], affected_keys: set[str]) -> tuple[pl.DataFrame, list[str]]:
    """The `authors` rows of `affected_keys` after a load, and the keys left with no paper (to delete).

    `stored`: the current rows of those keys. `touched`: author_papers of the papers the load touched.
    `replaced_ids`: those papers and any the load removed; their old entries are dropped first.
    """
    kept = stored_author_papers(stored).filter(~pl.col("paper_id").is_in(sorted(replaced_ids)))
    entries = pl.concat([kept, touched.select(kept.columns)], how="vertical_relaxed").filter(pl.col("author_key").is_in(sorted(affected_keys)))
    rows = authors_from(entries)
    return rows, sorted(affected_keys - set(rows["author_key"].to_list()))


def author_keys_of(sightings: pl.DataFrame) -> set[str]:
    """Every key any of these sightings names: a paper's authors now, and any it listed before and dropped."""
    if sightings.is_empty() or "authors" not in sightings.columns:
        return set()
    keys = sightings.select(author_key_expr(pl.col("authors").explode()).alias("k")).drop_nulls().unique()
    return set(keys["k"].to_list()) - {""}


# ---- topics ----


def paper_topics(papers: pl.DataFrame) -> pl.DataFrame:
    """paper_id, kind, topic: each arXiv category (cross-lists too) and each Hugging Face keyword."""
    categories = papers.select("paper_id", pl.lit(ARXIV_CATEGORY).alias("kind"), pl.col("categories").alias("topic")).explode("topic")
    keywords = (
        papers.select("paper_id", pl.lit(HF_KEYWORD).alias("kind"), pl.col("keywords").alias("topic"))
        .explode("topic").with_columns(topic_expr(pl.col("topic")))
    )
    both = pl.concat([categories, keywords])
    return both.filter(pl.col("topic").is_not_null() & (pl.col("topic") != "")).unique(maintain_order=True)


def topics_from(papers: pl.DataFrame, sightings: pl.DataFrame) -> pl.DataFrame:
    """`topics` rows for the weeks the sightings cover: per week and topic, papers listed, listings
    (distinct paper, feed and day), and the upvotes of those papers (each paper once a week).

    `papers`: paper_id, categories, keywords, upvotes. `sightings`: paper_id, feed, snapshot_date.
    """
    listings = sightings.select("paper_id", "feed", "snapshot_date").unique().with_columns(week_start_date=week_of(pl.col("snapshot_date")))
    per_paper = (
        listings.group_by("week_start_date", "paper_id").agg(pl.len().cast(pl.Int32).alias("listing_count"))
        .join(paper_topics(papers), on="paper_id")
        .join(papers.select("paper_id", "upvotes"), on="paper_id", how="left")
    )
    rows = per_paper.group_by("week_start_date", "kind", "topic").agg(
        pl.len().cast(pl.Int32).alias("paper_count"),
        pl.col("listing_count").sum().cast(pl.Int32),
        pl.col("upvotes").fill_null(0).cast(pl.Int64).sum().alias("upvote_count"),
    )
    return TOPICS.conform(rows.sort("week_start_date", "kind", "topic"))


def weeks_of(sightings: pl.DataFrame) -> list[date]:
    return sorted(sightings.select(week_of(pl.col("snapshot_date")).unique().drop_nulls()).to_series().to_list())


def rising_topics(topics: pl.DataFrame, through_week: date, recent_weeks: int = 2, earlier_weeks: int = 6) -> pl.DataFrame:
    """Topics ranked by growth: papers a week in the last `recent_weeks` (through `through_week`) against
    the `earlier_weeks` before. growth = (recent + 1) / (earlier + 1), so a topic new this month ranks by
    its size rather than dividing by zero, and one paper more than none is no surge."""
    recent_start = through_week - timedelta(weeks=recent_weeks - 1)
    earlier_start = recent_start - timedelta(weeks=earlier_weeks)
    window = topics.filter(pl.col("week_start_date").is_between(earlier_start, through_week))
    is_recent = pl.col("week_start_date") >= recent_start
    ranked = window.group_by("kind", "topic").agg(
        (pl.col("paper_count").filter(is_recent).sum() / recent_weeks).alias("recent_papers_per_week"),
        (pl.col("paper_count").filter(~is_recent).sum() / earlier_weeks).alias("earlier_papers_per_week"),
    ).with_columns(
        ((pl.col("recent_papers_per_week") + 1) / (pl.col("earlier_papers_per_week") + 1)).round(2).alias("growth"),
        pl.col("recent_papers_per_week").round(2),
        pl.col("earlier_papers_per_week").round(2),
    )
    return ranked.filter(pl.col("recent_papers_per_week") > 0).sort(
        ["growth", "recent_papers_per_week", "kind", "topic"], descending=[True, True, False, False]
    ).select("kind", "topic", "growth", "recent_papers_per_week", "earlier_papers_per_week")


# ---- listings ----

AUTHOR_COLUMNS = ["display_name", "paper_count", "listed_day_count", "upvote_count", "first_listed_date", "last_listed_date", "author_key"]
AUTHOR_ORDER = {"papers": "paper_count", "days": "listed_day_count", "upvotes": "upvote_count"}


def authors_in_window(authors: pl.DataFrame, start_date: date | None, end_date: date | None) -> pl.DataFrame:
    """The authors' counts over the papers listed between the two days (both included; None: open):
    papers, days listed within the window, those papers' upvotes, first and last day within it."""
    if start_date is None and end_date is None:
        return authors.select(AUTHOR_COLUMNS)
    low, high = start_date or date.min, end_date or date.max
    entries = stored_author_papers(authors).with_columns(
        pl.col("listed_dates").list.eval(pl.element().filter(pl.element().is_between(low, high))).alias("listed_dates")
    ).filter(pl.col("listed_dates").list.len() > 0)
    windowed = authors_from(entries).select(pl.exclude("display_name")).join(authors.select("author_key", "display_name"), on="author_key")
    return windowed.select(AUTHOR_COLUMNS)


def ranked_authors(authors: pl.DataFrame, by: str = "papers", limit: int | None = None) -> pl.DataFrame:
    """Most papers first (or most listed days, or upvotes), then the other two counts, then the key."""
    first = AUTHOR_ORDER[by]
    order = [first, *(c for c in AUTHOR_ORDER.values() if c != first), "author_key"]
    ranked = authors.sort(order, descending=[True, True, True, False])
    return ranked.head(limit) if limit else ranked


def weekly_topics(topics: pl.DataFrame, through_week: date, weeks: int, kind: str | None = None) -> pl.DataFrame:
    """The weeks up to `through_week`, newest first, each week's topics by papers."""
    first_week = through_week - timedelta(weeks=weeks - 1)
    chosen = topics.filter(pl.col("week_start_date").is_between(first_week, through_week))
    if kind:
        chosen = chosen.filter(pl.col("kind") == kind)
    return chosen.sort(["week_start_date", "paper_count", "upvote_count", "kind", "topic"], descending=[True, True, True, False, False])
