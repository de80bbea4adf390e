"""Papers and sightings -> the gold tables `authors`, `author_papers` and `topics`, whole or for what a load touched.

Pure: frames in, frames out. The incremental forms give exactly what the full ones give for the
same keys (tests/transforms/test_gold.py holds them to it). `author_papers` holds each paper's part
of its authors' rows; a load updates `authors` by the difference between the touched papers' new
parts and their old ones, so it never reads an author's other papers, except for the few keys a
load made non-monotone (a paper removed or an author dropped from it), which are recomputed.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from lake.gold_schemas import AUTHOR_PAPERS, AUTHORS, TOPICS

ARXIV_CATEGORY = "arxiv_category"
HF_KEYWORD = "hf_keyword"


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

PAPER_PART = ["paper_id", "author_key"]
FIRST_PAPER = ["first_listed_date", "paper_id"]  # an author's first paper: first listed, then the smallest id


def author_papers(papers: pl.DataFrame, sightings: pl.DataFrame) -> pl.DataFrame:
    """`author_papers` rows: one per (paper, author_key): the name as the paper lists it, the paper's
    upvotes and its (feed, day) listings.

    `papers`: paper_id, authors, upvotes (the papers rows). `sightings`: paper_id, feed, snapshot_date,
    for every sighting of those papers.
    """
    listed = (
        sightings.select("paper_id", "feed", "snapshot_date").unique().group_by("paper_id")
        .agg(pl.col("snapshot_date").sort().alias("listing_dates"))
        .with_columns(
            pl.col("listing_dates").list.len().cast(pl.Int32).alias("listing_count"),
            pl.col("listing_dates").list.first().alias("first_listed_date"),
            pl.col("listing_dates").list.last().alias("last_listed_date"),
        )
    )
    named = (
        papers.select("paper_id", "upvotes", pl.col("authors").alias("name"))
        .explode("name")
        .with_columns(author_key=author_key_expr(pl.col("name")))
        .filter(pl.col("author_key").is_not_null() & (pl.col("author_key") != ""))
        # The same person twice in one list (a feed's typo) is one authorship: the first place wins.
        .unique(["author_key", "paper_id"], keep="first", maintain_order=True)
    )
    rows = named.join(listed, on="paper_id", how="inner")
    return AUTHOR_PAPERS.conform(rows).sort("first_listed_date", "paper_id", "author_key")


def authors_from(entries: pl.DataFrame) -> pl.DataFrame:
    """`author_papers` rows -> `authors` rows, one per author_key."""
    if entries.is_empty():
        return AUTHORS.empty_frame()
    grouped = entries.sort(*FIRST_PAPER).group_by("author_key").agg(
        pl.col("name").first().alias("display_name"),
        pl.col("paper_id").first().alias("first_paper_id"),
        pl.len().cast(pl.Int32).alias("paper_count"),
        pl.col("listing_count").sum().cast(pl.Int32),
        pl.col("first_listed_date").min(),
        pl.col("last_listed_date").max(),
        pl.col("upvotes").fill_null(0).cast(pl.Int64).sum().alias("upvote_count"),
    )
    return AUTHORS.conform(grouped.sort("author_key"))


def changed_author_papers(old: pl.DataFrame, new: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The touched papers' `author_papers` rows to write (new or different) and those to delete (gone)."""
    gone = old.join(new.select(PAPER_PART), on=PAPER_PART, how="anti").select(PAPER_PART)
    values = [c for c in new.columns if c not in PAPER_PART]
    paired = new.join(old.with_columns(_stored=pl.lit(True)), on=PAPER_PART, how="left", suffix="_old")
    same = pl.col("_stored").is_not_null() & pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}_old")) for c in values)
    return paired.filter(~same).select(new.columns), gone


def author_deltas(stored: pl.DataFrame, old: pl.DataFrame, new: pl.DataFrame) -> tuple[pl.DataFrame, set[str]]:
    """The `authors` rows a load changes, from the touched papers' old and new `author_papers` rows,
    and the keys that cannot be updated by a delta (recompute them from every paper of theirs).

    `stored`: the current `authors` rows of the keys in `old` and `new`. Counts add the new parts and
    take away the old; first and last listed, and the first paper, move only one way, so a key whose
    paper went away, or whose paper's first (last) listing moved later (earlier), is recomputed.
    """
    pairs = old.join(new, on=PAPER_PART, how="left", suffix="_new")
    backwards = pairs.filter(
        pl.col("listing_count_new").is_null()
        | (pl.col("first_listed_date_new") > pl.col("first_listed_date"))
        | (pl.col("last_listed_date_new") < pl.col("last_listed_date"))
    )
    recompute = set(backwards["author_key"].to_list())
    old, new = (f.filter(~pl.col("author_key").is_in(sorted(recompute))) for f in (old, new))
    signed = pl.concat([new.with_columns(sign=pl.lit(1)), old.with_columns(sign=pl.lit(-1))])
    diff = signed.group_by("author_key").agg(
        pl.col("sign").sum().alias("d_papers"),
        (pl.col("sign") * pl.col("listing_count")).sum().alias("d_listings"),
        (pl.col("sign") * pl.col("upvotes").fill_null(0).cast(pl.Int64)).sum().alias("d_upvotes"),
    )
    firsts = new.sort(*FIRST_PAPER).group_by("author_key").agg(
        pl.col("name").first().alias("n_name"), pl.col("paper_id").first().alias("n_paper"),
        pl.col("first_listed_date").min().alias("n_first"), pl.col("last_listed_date").max().alias("n_last"),
    )
    joined = diff.join(firsts, on="author_key", how="left").join(stored, on="author_key", how="left")
    # The new first paper wins unless the stored one comes earlier; equal means the same paper, maybe renamed.
    new_first = pl.col("first_listed_date").is_null() | (pl.col("n_first") < pl.col("first_listed_date")) | (
        (pl.col("n_first") == pl.col("first_listed_date")) & (pl.col("n_paper") <= pl.col("first_paper_id"))
    )
    rows = joined.select(
        "author_key",
        pl.when(new_first).then("n_name").otherwise("display_name").alias("display_name"),
        pl.when(new_first).then("n_paper").otherwise("first_paper_id").alias("first_paper_id"),
        (pl.col("paper_count").fill_null(0) + pl.col("d_papers")).alias("paper_count"),
        (pl.col("listing_count").fill_null(0) + pl.col("d_listings")).alias("listing_count"),
        pl.when(new_first).then("n_first").otherwise("first_listed_date").alias("first_listed_date"),
        pl.max_horizontal("n_last", "last_listed_date").alias("last_listed_date"),
        (pl.col("upvote_count").fill_null(0) + pl.col("d_upvotes")).alias("upvote_count"),
    )
    rows = AUTHORS.conform(rows)
    unchanged = rows.join(stored, on=rows.columns, how="semi", nulls_equal=True)
    return rows.join(unchanged.select("author_key"), on="author_key", how="anti").sort("author_key"), recompute


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

AUTHOR_COLUMNS = ["display_name", "paper_count", "listing_count", "upvote_count", "first_listed_date", "last_listed_date", "author_key"]
AUTHOR_ORDER = {"papers": "paper_count", "listings": "listing_count", "upvotes": "upvote_count"}


def authors_in_window(authors: pl.DataFrame, entries: pl.DataFrame | None, start_date: date | None, end_date: date | None) -> pl.DataFrame:
    """The authors' counts over the papers listed between the two days (both included; None: open):
    papers, their listings within the window, those papers' upvotes, first and last day within it.
    `entries`: the `author_papers` rows that may fall in the window (unused without one)."""
    if start_date is None and end_date is None:
        return authors.select(AUTHOR_COLUMNS)
    low, high = start_date or date.min, end_date or date.max
    inside = pl.col("listing_dates").list.eval(pl.element().filter(pl.element().is_between(low, high)))
    windowed = entries.with_columns(inside.alias("listing_dates")).filter(pl.col("listing_dates").list.len() > 0).with_columns(
        pl.col("listing_dates").list.len().alias("listing_count"),
        pl.col("listing_dates").list.first().alias("first_listed_date"),
        pl.col("listing_dates").list.last().alias("last_listed_date"),
    )
    counted = authors_from(windowed).select(pl.exclude("display_name")).join(authors.select("author_key", "display_name"), on="author_key")
    return counted.select(AUTHOR_COLUMNS)


def ranked_authors(authors: pl.DataFrame, by: str = "papers", limit: int | None = None) -> pl.DataFrame:
    """Most papers first (or most listings, or upvotes), then the other two counts, then the key."""
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
