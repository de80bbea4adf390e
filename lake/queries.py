"""Read-side questions about the lake, as pure functions over LazyFrames.

No clock inside: anything relative to "today" takes it as a parameter, so the same call gives the
same rows in a test, a backfill or a report. Every function collects once and returns a DataFrame.
Row order never relies on the engine (Polars 2 streams and does not keep order): aggregates that
mean "latest" use sort_by, and results are sorted on a full key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from lake.text_match import match_and_score, may_hold, may_hold_every, search_terms


@dataclass(frozen=True)
class Window:
    """Which sightings a question looks at: a date range (both ends included) and a feed."""

    since_date: date | None = None
    until_date: date | None = None
    feed: str | None = None

    def feed_filter(self) -> pl.Expr:
        return pl.lit(True) if self.feed is None else pl.col("feed") == self.feed

    def up_to_until(self) -> pl.Expr:
        return self.feed_filter() & (pl.lit(True) if self.until_date is None else pl.col("snapshot_date") <= self.until_date)

    def inside(self) -> pl.Expr:
        return self.up_to_until() & (pl.lit(True) if self.since_date is None else pl.col("snapshot_date") >= self.since_date)


LATEST_ORDER = ["snapshot_date", "snapshot_id", "rank"]  # the latest sighting: by date, then snapshot, then rank
OBSERVED_ORDER = ["fetched_at", "snapshot_date", "snapshot_id"]  # the latest observation (fetched_at null: the oldest)


def _latest_values(rows: pl.DataFrame, order: list[str], columns: list[str]) -> list[pl.DataFrame]:
    """Per paper, each column's value in the latest row (by `order`) that has one: one sort of the
    window's rows, not a sort inside every group (three times faster on a month of a ten-year lake)."""
    newest_first = rows.sort(order, descending=True, nulls_last=True)
    return [
        newest_first.filter(pl.col(c).is_not_null()).unique("paper_id", keep="first").select("paper_id", c)
        for c in columns
    ]


SUMMARY_COLUMNS = (
    "paper_id", "title", "first_seen_date", "last_seen_date", "days_seen", "sighting_count",
    "best_rank", "upvotes", "comment_count", "feeds", "abstract", "title_key",
)
TEXT_COLUMNS = ["title", "abstract", "title_key"]


def window_summary(sightings: pl.LazyFrame, window: Window, with_text: bool = True) -> pl.LazyFrame:
    """One row per paper seen in the window (SUMMARY_COLUMNS; without title, abstract and title_key
    unless `with_text`: they are most of the bytes, and rankings need them for their top rows only).

    first_seen_date is the first day the lake ever saw the paper (in the window's feed, up to its
    end), so a paper that came back is not mistaken for a new one; the other columns describe the
    window only.

    Two reads, each collected on its own: the window's sightings (file stats skip the other days),
    then the earlier sightings of those papers only, reading two columns. As one plan, Polars shared
    the scan between both and read every column of every file (a ten-year lake: 77 s, 9 GB).
    """
    text = TEXT_COLUMNS if with_text else []
    rows = sightings.filter(window.inside()).select(
        "paper_id", "feed", "snapshot_date", "snapshot_id", "rank", "fetched_at", *text, "upvotes", "comment_count",
    ).collect()
    # Feeds as small integers, so the per-paper aggregates are numeric (a ten-year window has 4
    # million papers: lists and structs per group took most of the time).
    feeds = sorted(rows["feed"].unique().to_list())
    code = pl.col("feed").replace_strict({f: i for i, f in enumerate(feeds)}, return_dtype=pl.Int64) if feeds else pl.lit(0, pl.Int64)
    seen = rows.group_by("paper_id").agg(
        pl.col("snapshot_date").max().alias("last_seen_date"),
        pl.col("snapshot_date").n_unique().cast(pl.Int32).alias("days_seen"),
        # Listings, not fetches: a day fetched many times while it filled is one listing.
        (pl.col("snapshot_date").cast(pl.Int64) * len(feeds) + code).n_unique().cast(pl.Int32).alias("sighting_count"),
        pl.col("rank").min().alias("best_rank"),
        *((pl.col("feed") == f).any().alias(f"_feed_{i}") for i, f in enumerate(feeds)),
    ).with_columns(
        pl.concat_list(pl.lit([], dtype=pl.List(pl.String)), *(pl.when(pl.col(f"_feed_{i}")).then(pl.lit([f])).otherwise(pl.lit([], dtype=pl.List(pl.String))) for i, f in enumerate(feeds))).alias("feeds")
    ).drop(f"_feed_{i}" for i in range(len(feeds)))
    for values in [*_latest_values(rows, LATEST_ORDER, text), *_latest_values(rows, OBSERVED_ORDER, ["upvotes", "comment_count"])]:
        seen = seen.join(values, on="paper_id", how="left")
    if window.since_date is None:  # the window holds every earlier sighting already
        first_seen = rows.group_by("paper_id").agg(pl.col("snapshot_date").min().alias("first_seen_date"))
        return seen.join(first_seen, on="paper_id", how="left").lazy().select(c for c in SUMMARY_COLUMNS if c in text or c not in TEXT_COLUMNS)
    first_seen = (
        sightings.filter(window.up_to_until() & _one_of(seen["paper_id"]))
        .select("paper_id", "snapshot_date")
        .group_by("paper_id")
        .agg(pl.col("snapshot_date").min().alias("first_seen_date"))
        .collect()
    )
    return seen.join(first_seen, on="paper_id", how="left").lazy().select(c for c in SUMMARY_COLUMNS if c in text or c not in TEXT_COLUMNS)


def _one_of(ids: pl.Series) -> pl.Expr:
    """Rows of these papers, said so that file statistics skip the files that hold none: a few ids as
    equalities, many as their range as well as the set."""
    if ids.len() <= 100:
        return pl.any_horizontal(pl.lit(False), *(pl.col("paper_id") == i for i in ids.to_list()))
    return pl.col("paper_id").is_between(pl.lit(ids.min()), pl.lit(ids.max())) & pl.col("paper_id").is_in(ids.implode())


def _with_text(sightings: pl.LazyFrame, window: Window, ranked: pl.DataFrame) -> pl.DataFrame:
    """`ranked` (summary rows without text) with each paper's latest title, abstract and title_key in the window."""
    rows = (
        sightings.filter(window.inside() & _one_of(ranked["paper_id"]))
        .select("paper_id", "snapshot_date", "snapshot_id", "rank", *TEXT_COLUMNS)
        .collect()
    )
    for values in _latest_values(rows, LATEST_ORDER, TEXT_COLUMNS):
        ranked = ranked.join(values, on="paper_id", how="left", maintain_order="left")
    return ranked.select(SUMMARY_COLUMNS)


def _ranked(sightings: pl.LazyFrame, window: Window, by: list[str], descending: list[bool], limit: int | None,
            summary: pl.LazyFrame | None = None) -> pl.DataFrame:
    """The window's papers sorted on a full key; the text read for the rows kept only."""
    summary = window_summary(sightings, window, with_text=False) if summary is None else summary
    top = _limited(summary.sort(by, descending=descending, nulls_last=True), limit).collect()
    return _with_text(sightings, window, top)


NEWEST_FIRST = (["last_seen_date", "first_seen_date", "days_seen", "paper_id"], [True, True, True, False])


def papers_in_window(sightings: pl.LazyFrame, window: Window, limit: int | None = None) -> pl.DataFrame:
    """Papers seen in the window, newest first: most recently seen, then most recently first seen."""
    by, descending = NEWEST_FIRST
    ranked = window_summary(sightings, window).sort(by, descending=descending, nulls_last=True)
    return _limited(ranked, limit).collect()


# --- search ---------------------------------------------------------------------------------

def search(
    sightings: pl.LazyFrame, text: str, window: Window, limit: int | None = None, papers: pl.LazyFrame | None = None,
    words: pl.LazyFrame | None = None, columns: list[str] | None = None, last_seen_range: tuple[date, date] | None = None,
) -> pl.DataFrame:
    """Papers of the window whose title or abstract holds every word of `text` (case, accents of
    width and punctuation ignored; a word matches the start of a word, so 'transform' finds
    'transformers'). Best matches first: the whole phrase in the title, then words in the title,
    then the phrase and words in the abstract; ties newest first.

    Without a window (no dates, no feed) and given `papers`, the papers table answers: it holds each
    paper's whole-lake summary already, one row a paper instead of every sighting. Given `words`
    too (the `search_words` index), only the matching words' rows and the best papers' rows are
    read (lake/search.py); the answer is the same. `columns`: the summary columns wanted (all of them
    if None), with the score; `last_seen_range`: the papers' first and last last_seen_date when known
    (from the table's log), else the index search reads them."""
    terms = search_terms(text)
    if not terms:
        raise ValueError("--search needs at least one letter or digit")
    if papers is not None and words is not None and window == Window():
        from lake.search import indexed_search

        return indexed_search(words, papers, terms, limit, columns, last_seen_range)
    if papers is not None and window == Window():
        summary = papers.filter(may_hold_every(terms)).select(
            "paper_id", "title", "first_seen_date", "last_seen_date", "days_seen", "sighting_count",
            "upvotes", "comment_count", "feeds", "abstract", "title_key",
        )
    else:
        summary = window_summary(sightings.filter(pl.col("paper_id").is_in(_candidate_ids(sightings, terms, window))), window)
    every_term, score = match_and_score(terms)
    by, descending = NEWEST_FIRST
    ranked = (
        summary.filter(every_term)
        .with_columns(score.cast(pl.Int32).alias("score"))
        .sort(["score", *by], descending=[True, *descending], nulls_last=True)
    )
    return _limited(ranked if columns is None else ranked.select(*columns, "score"), limit).collect()


def _candidate_ids(sightings: pl.LazyFrame, terms: list[str], window: Window) -> list[str]:
    """Papers whose sightings in the window may hold every term, in any of them: the exact test runs
    on each paper's latest title and abstract, which is one of these sightings' texts."""
    flags = [(may_hold("title", t) | may_hold("abstract", t)).alias(f"term_{i}") for i, t in enumerate(terms)]
    found = (
        sightings.filter(window.inside())
        .select("paper_id", *flags)
        .filter(pl.any_horizontal(pl.col(f"term_{i}") for i in range(len(terms))))
        .group_by("paper_id")
        .agg(pl.col(f"term_{i}").any() for i in range(len(terms)))
        .filter(pl.all_horizontal(pl.col(f"term_{i}") for i in range(len(terms))))
        .select("paper_id")
        .collect()
    )
    return found["paper_id"].to_list()


# --- new and trending ---------------------------------------------------------------------

def new_since(sightings: pl.LazyFrame, window: Window, limit: int | None = None) -> pl.DataFrame:
    """Papers first seen on or after window.since_date (never seen before it), newest first."""
    if window.since_date is None:
        raise ValueError("new_since needs a since_date")
    by, descending = ["first_seen_date", "days_seen", "paper_id"], [True, True, False]
    fresh = window_summary(sightings, window).filter(pl.col("first_seen_date") >= window.since_date)
    return _limited(fresh.sort(by, descending=descending), limit).collect()


def trending_window(today: date, days: int, feed: str | None = None) -> Window:
    """The `days` days ending with `today` (included)."""
    if days < 1:
        raise ValueError("--days must be 1 or more")
    return Window(since_date=today - timedelta(days=days - 1), until_date=today, feed=feed)


def trending(sightings: pl.LazyFrame, today: date, days: int = 7, feed: str | None = None, limit: int | None = 20) -> pl.DataFrame:
    """Papers of the last `days` days ranked by their latest upvotes, then days on the list, then best rank."""
    return top_by_upvotes(sightings, trending_window(today, days, feed), limit)


def top_by_upvotes(sightings: pl.LazyFrame, window: Window, limit: int | None = 20) -> pl.DataFrame:
    """Papers of any window ranked by how they were received: latest upvotes, comments, then days on the list."""
    by = ["upvotes", "comment_count", "days_seen", "best_rank", "paper_id"]
    return _ranked(sightings, window, by, [True, True, True, False, False], limit)


def top_recurring(sightings: pl.LazyFrame, window: Window, limit: int | None = 20, summary: pl.LazyFrame | None = None) -> pl.DataFrame:
    """Papers of any window ranked by days on the list, then upvotes, then best rank (`summary`: the
    window's summary without text, when the caller has it already)."""
    return _ranked(sightings, window, ["days_seen", "upvotes", "best_rank", "paper_id"], [True, True, False, False], limit, summary)


def latest_snapshot_date(sightings: pl.LazyFrame, feed: str | None = None) -> date | None:
    return sightings.filter(Window(feed=feed).feed_filter()).select(pl.col("snapshot_date").max()).collect().item()


# --- report frames ------------------------------------------------------------------------

def papers_per_day(sightings: pl.LazyFrame, window: Window) -> pl.DataFrame:
    """Distinct papers listed each day, by feed."""
    return (
        sightings.filter(window.inside())
        .group_by("snapshot_date", "feed")
        .agg(pl.col("paper_id").n_unique().cast(pl.Int32).alias("paper_count"))
        .sort("snapshot_date", "feed")
        .collect()
    )


def new_vs_returning(sightings: pl.LazyFrame, window: Window, summary: pl.LazyFrame | None = None) -> pl.DataFrame:
    """Each day's papers (any feed) split into new (first seen that day) and returning (`summary`:
    the window's summary, whose first_seen_date is the one needed, when the caller has it)."""
    if summary is None:
        first_seen = sightings.filter(window.up_to_until()).group_by("paper_id").agg(pl.col("snapshot_date").min().alias("first_seen_date"))
    else:
        first_seen = summary.select("paper_id", "first_seen_date")
    daily = sightings.filter(window.inside()).select("snapshot_date", "paper_id").unique()
    return (
        daily.join(first_seen, on="paper_id")
        .with_columns(pl.when(pl.col("first_seen_date") == pl.col("snapshot_date")).then(pl.lit("new")).otherwise(pl.lit("returning")).alias("kind"))
        .group_by("snapshot_date", "kind")
        .agg(pl.len().cast(pl.Int32).alias("paper_count"))
        .sort("snapshot_date", "kind")
        .collect()
    )


def stay_lengths(sightings: pl.LazyFrame, window: Window, summary: pl.LazyFrame | None = None) -> pl.DataFrame:
    """How many papers stayed on the list for 1, 2, 3... days of the window."""
    return (
        (window_summary(sightings, window, with_text=False) if summary is None else summary)
        .group_by("days_seen")
        .agg(pl.len().cast(pl.Int32).alias("paper_count"))
        .sort("days_seen")
        .collect()
    )


def upvote_trajectories(sightings: pl.LazyFrame, window: Window, paper_ids: list[str]) -> pl.DataFrame:
    """Upvotes of the given papers day by day (the highest a feed showed that day: counts only grow)."""
    return (
        sightings.filter(window.inside() & pl.col("paper_id").is_in(paper_ids) & pl.col("upvotes").is_not_null())
        .group_by("paper_id", "snapshot_date")
        .agg(pl.col("upvotes").max())
        .sort("paper_id", "snapshot_date")
        .collect()
    )


def quarantine_counts(quarantine: pl.LazyFrame, window: Window) -> pl.DataFrame:
    """Quarantined rows per rule (and table) in the window."""
    return (
        quarantine.filter(window.inside())
        .group_by("rule", "table")
        .agg(pl.len().cast(pl.Int32).alias("row_count"))
        .sort(["row_count", "rule", "table"], descending=[True, False, False])
        .collect()
    )


def _limited(frame: pl.LazyFrame, limit: int | None) -> pl.LazyFrame:
    return frame if limit is None else frame.head(limit)
