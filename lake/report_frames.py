"""The report's numbers (paperlake/report.py draws them), read so that a ten-year lake answers in seconds.

Pure functions over LazyFrames, like lake/queries.py, whose questions these are. A window with
dates reads its days only (file statistics skip the others) and summarizes them. The whole lake
(the report's default) is answered per paper from `papers`, whose rows are each paper's whole-lake
summary already (first_seen_date, days_seen, latest upvotes), rather than grouping every sighting
into papers (on 5.85 M sightings: 40 s and 2 GB). The rankings take their candidates from `papers`
(the first rows on the key columns it has, and every paper tied with the last of them) and rank
those exactly from their own sightings, so they keep the rows the sightings alone would give.
What is per day comes from three columns of the window's sightings, read some 1.5 M sightings at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from lake import queries
from lake.queries import Window

# What the rankings, their text and the upvote lines read of a candidate's sightings.
RANKING_COLUMNS = (
    "paper_id", "feed", "snapshot_date", "snapshot_id", "rank", "fetched_at", "upvotes", "comment_count", *queries.TEXT_COLUMNS,
)


@dataclass(frozen=True)
class ReportFrames:
    per_day: pl.DataFrame  # snapshot_date, feed, paper_count: distinct papers each feed listed each day
    new_returning: pl.DataFrame  # snapshot_date, kind (new, returning), paper_count
    stays: pl.DataFrame  # days_seen, paper_count
    top: pl.DataFrame  # the top recurring papers (queries.SUMMARY_COLUMNS)
    upvotes: pl.DataFrame  # paper_id, snapshot_date, upvotes, title: the most upvoted papers, day by day
    sighting_count: int  # listings: distinct (paper, feed, day)
    snapshot_dates: tuple[date | None, date | None]  # the first and last day with sightings


# About 1.5 M sightings a read of the per-day counts (some 150 MB): the ten-year lake in one read held 980 MB.
PAPERS_PER_READ = 1_000_000


def report_frames(sightings: pl.LazyFrame, papers: pl.LazyFrame | None, window: Window, top_count: int) -> ReportFrames:
    """Every frame of the report's own charts (`papers`: None on a lake without the table)."""
    if papers is not None and window == Window():
        # `papers`' numbers and ids, no text: 3.85 M rows in 200 MB, 60 MB once the ids are dropped.
        key = papers.select("paper_id", "first_seen_date", "last_seen_date", "days_seen", "upvotes").collect()
        # Ranked on (days_seen, upvotes, best_rank, paper_id) and (upvotes, comment_count, days_seen, ...):
        # `papers` has the first columns of each, the candidates' own sightings the rest. Ranking a
        # superset of the top rows, each paper with all its sightings, gives the top rows.
        recurring = tied_or_before(key, ["days_seen", "upvotes"], top_count)
        voted = pl.col("upvotes").is_not_null() & tied_or_before(key.filter(pl.col("upvotes").is_not_null()), ["upvotes"], top_count)
        chosen, key = key.filter(recurring | voted), key.drop("paper_id")
        per_day, day_totals = daily_counts(sightings, window, read_cuts(key))
        sightings, firsts, summary = sightings_of(sightings, chosen).lazy(), key.lazy(), None
        stays = key.group_by("days_seen").agg(pl.len().cast(pl.Int32).alias("paper_count")).sort("days_seen")
    else:
        per_day, day_totals = daily_counts(sightings, window, [])
        # The window's summary once, for the top papers, the stay lengths and who is new.
        firsts = summary = queries.window_summary(sightings, window, with_text=False).collect().lazy()
        stays = queries.stay_lengths(sightings, window, summary)
    top = queries.top_recurring(sightings, window, top_count, summary)
    # The most upvoted (only hf_daily lists upvotes), ranked on their upvoted sightings.
    with_votes = queries.top_by_upvotes(sightings.filter(pl.col("upvotes").is_not_null()), window, top_count)
    upvotes = queries.upvote_trajectories(sightings, window, with_votes["paper_id"].to_list())
    return ReportFrames(
        per_day=per_day,
        new_returning=new_vs_returning(day_totals, firsts),
        stays=stays,
        top=top,
        upvotes=upvotes.join(with_votes.select("paper_id", "title"), on="paper_id"),
        # The sum over (day, feed) of distinct papers is the count of distinct (paper, feed, day).
        sighting_count=int(per_day["paper_count"].sum()) if per_day.height else 0,
        snapshot_dates=(per_day["snapshot_date"].min(), per_day["snapshot_date"].max()),
    )


def read_cuts(key: pl.DataFrame, papers_per_read: int | None = None) -> list[date]:
    """Month starts to cut the per-day reads at: about every `papers_per_read` papers first seen
    (`key`: first_seen_date of every paper), so each read holds as many sightings whatever the year."""
    per_read = papers_per_read or PAPERS_PER_READ
    months = key.group_by(pl.col("first_seen_date").dt.truncate("1mo").alias("month")).agg(pl.len().alias("n")).sort("month")
    reads = ((pl.col("n").cum_sum() - pl.col("n")) // per_read).alias("read")  # papers before the month, in reads
    return months.filter(months.select(reads.diff().fill_null(0) > 0).to_series())["month"].to_list()


def daily_counts(sightings: pl.LazyFrame, window: Window, cuts: list[date]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Distinct papers each feed listed each day of the window (snapshot_date, feed, paper_count), and
    each day in all its feeds (snapshot_date, listed): three columns read, a read between each two
    `cuts` (the first and last reads are open-ended, so every day is read whatever the cuts)."""
    edges = [None, *cuts, None]
    per_day, totals = [], []
    for low, high in zip(edges, edges[1:]):
        inside = window.inside()
        inside = inside if low is None else inside & (pl.col("snapshot_date") >= low)
        inside = inside if high is None else inside & (pl.col("snapshot_date") < high)
        rows = sightings.filter(inside).select("snapshot_date", "feed", "paper_id").collect()
        per_day.append(rows.group_by("snapshot_date", "feed").agg(pl.col("paper_id").n_unique().cast(pl.Int32).alias("paper_count")))
        totals.append(rows.group_by("snapshot_date").agg(pl.col("paper_id").n_unique().cast(pl.Int32).alias("listed")))
    return pl.concat(per_day).sort("snapshot_date", "feed"), pl.concat(totals)


def new_vs_returning(day_totals: pl.DataFrame, firsts: pl.LazyFrame) -> pl.DataFrame:
    """Each day's papers split into new (first seen that day) and returning (the rest of the day's
    distinct papers), as queries.new_vs_returning gives them. `firsts`: first_seen_date of each paper
    of the window (`papers` for the whole lake; the window's summary)."""
    new = (
        firsts.group_by("first_seen_date").agg(pl.len().cast(pl.Int32).alias("new"))
        .rename({"first_seen_date": "snapshot_date"}).collect()
    )
    both = day_totals.join(new, on="snapshot_date", how="left").with_columns(pl.col("new").fill_null(0))
    return (
        both.with_columns((pl.col("listed") - pl.col("new")).clip(lower_bound=0).alias("returning"))
        .unpivot(["new", "returning"], index="snapshot_date", variable_name="kind", value_name="paper_count")
        .filter(pl.col("paper_count") > 0)
        .sort("snapshot_date", "kind")
    )


def tied_or_before(key: pl.DataFrame, by: list[str], limit: int) -> pl.Expr:
    """Which rows of `key` may rank in the first `limit` on a key starting with `by` (each column
    descending, nulls last): the first `limit` on `by` and every row tied with the last of them (the
    rest of the key orders those)."""
    first = key.lazy().select(by).sort(by, descending=True, nulls_last=True).head(limit).collect()
    return pl.lit(True) if first.height < limit else _not_after(by, list(first.row(limit - 1)))


def _not_after(columns: list[str], values: list) -> pl.Expr:
    """Rows that sort no later than `values` on `columns`, each descending with nulls last."""
    ties = pl.lit(True)
    for column, value in reversed(list(zip(columns, values, strict=True))):
        if value is None:  # nulls come last: every row ranks before or with it
            before, same = pl.col(column).is_not_null(), pl.col(column).is_null()
        else:
            before, same = (pl.col(column) > value).fill_null(False), (pl.col(column) == value).fill_null(False)
        ties = before | (same & ties)
    return ties


def sightings_of(sightings: pl.LazyFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    """Every sighting of the `chosen` papers, the RANKING_COLUMNS: each looked for between its first
    and last day seen, so file statistics skip the other days (ids alone pruned little: 1.6 s, not 0.6 s)."""
    if chosen.height <= 100:
        wanted = pl.any_horizontal(pl.lit(False), *(
            (pl.col("paper_id") == paper_id) & pl.col("snapshot_date").is_between(first, last)
            for paper_id, first, last in chosen.select("paper_id", "first_seen_date", "last_seen_date").iter_rows()
        ))
    else:
        span = pl.col("snapshot_date").is_between(chosen["first_seen_date"].min(), chosen["last_seen_date"].max())
        wanted = span & pl.col("paper_id").is_in(chosen["paper_id"].implode())
    return sightings.filter(wanted).select(RANKING_COLUMNS).collect()


PERIODS = {"day": None, "week": "1w", "month": "1mo"}


def period_for(first: date | None, last: date | None) -> str:
    """How finely a chart over these days shows them: a bar a day up to three months, a week up to two years, else a month."""
    span = (last - first).days if first and last else 0
    return "day" if span <= 92 else "week" if span <= 731 else "month"


def by_period(frame: pl.DataFrame, keys: list[str], period: str) -> pl.DataFrame:
    """A per-day frame's paper_count added up per week (starting Monday) or month (starting the 1st),
    dated by the period's first day; unchanged per day. Ten years are 120 bars a series, not 3,650."""
    if PERIODS[period] is None:
        return frame
    return (
        frame.with_columns(pl.col("snapshot_date").dt.truncate(PERIODS[period]))
        .group_by("snapshot_date", *keys).agg(pl.col("paper_count").sum().cast(pl.Int32))
        .sort("snapshot_date", *keys)
    )
