"""Reading and writing the gold tables `authors`, `author_papers` and `topics`: only what a load touched.

Each write is one MERGE on the table's key. `author_papers` is read and merged like `papers`: only
files first listed on the days the touched papers' rows are (file stats skip the others).
`authors` rows of keys left without papers are deleted in the same MERGE; `topics` rows of the weeks rewritten that no longer have any paper are deleted by
`when_not_matched_by_source_delete`, restricted to those weeks.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

import polars as pl

from lake import writes
from lake.day_ranges import DayRanges, sql_within, within
from lake.gold_schemas import AUTHOR_PAPERS, AUTHORS, TOPICS
from lake.schemas import PAPERS, SIGHTINGS
from lake.store import Lake

WEEK_DAYS = 7
# `authors` is moved by deltas of `author_papers`, so the two must not drift: each authors commit
# records (as a Delta app transaction) the author_papers version it goes with, and is made first.
# A step that died between the two commits leaves authors ahead of author_papers: see authors_ahead.
FOLLOWS = "paperlake.gold.author_papers"


def never_written(lake: Lake) -> bool:
    """True while `author_papers` is as ensure_tables created it (version 0): no load has filled the gold tables yet."""
    return lake.has_table(AUTHOR_PAPERS.name) and lake.delta(AUTHOR_PAPERS.name).version() == 0


class AuthorsMoved(Exception):
    """`authors` got a commit since the step read it: its deltas must be computed again from fresh reads."""


def authors_version(lake: Lake) -> int:
    return lake.delta(AUTHORS.name).version()


def author_papers_version(lake: Lake) -> int:
    return lake.delta(AUTHOR_PAPERS.name).version()


def authors_ahead(lake: Lake) -> bool:
    """True when `authors` was committed for an author_papers version that never landed."""
    follows = lake.delta(AUTHORS.name).transaction_version(FOLLOWS)
    return follows is not None and follows > author_papers_version(lake)


def all_author_papers(lake: Lake) -> pl.DataFrame:
    return lake.scan(AUTHOR_PAPERS.name).collect()


def scan_gold(lake: Lake, name: str) -> pl.LazyFrame | None:
    """`authors` or `topics` to read, or None on a lake no load has given them yet."""
    return lake.scan(name) if lake.has_table(name) else None


def authors_of_keys(lake: Lake, author_keys: list[str]) -> pl.DataFrame:
    if not author_keys or not lake.has_table(AUTHORS.name):
        return AUTHORS.empty_frame()
    return lake.scan(AUTHORS.name).filter(pl.col("author_key").is_in(author_keys)).collect()


def listed_days(lake: Lake, paper_ids: list[str]) -> pl.Series:
    """The stored first_listed_dates of these papers' `author_papers` rows (two columns read)."""
    if not paper_ids:
        return pl.Series("first_listed_date", [], dtype=pl.Date)
    stored = lake.scan(AUTHOR_PAPERS.name).filter(pl.col("paper_id").is_in(paper_ids)).select(pl.col("first_listed_date").unique())
    return stored.collect()["first_listed_date"]


def author_papers_of(lake: Lake, paper_ids: list[str], days: DayRanges | None) -> pl.DataFrame:
    """The stored `author_papers` rows of these papers, all first listed on `days` (None: read every file)."""
    if not paper_ids or days == ():
        return AUTHOR_PAPERS.empty_frame()
    wanted = pl.col("paper_id").is_in(paper_ids)
    if days is not None:
        wanted = within("first_listed_date", days) & wanted
    return lake.scan(AUTHOR_PAPERS.name).filter(wanted).collect()


def author_papers_of_keys(lake: Lake, author_keys: list[str]) -> pl.DataFrame:
    """Every `author_papers` row of these authors: a whole-table read, for the few keys a load made
    non-monotone (a paper removed, an author dropped from a paper)."""
    if not author_keys:
        return AUTHOR_PAPERS.empty_frame()
    return lake.scan(AUTHOR_PAPERS.name).filter(pl.col("author_key").is_in(author_keys)).collect()


def merge_author_papers(lake: Lake, rows: pl.DataFrame, gone: pl.DataFrame, days: DayRanges | None, commit: writes.CommitInfo) -> dict:
    """Insert or replace these (paper, author) rows and delete `gone` ones; `days`: every stored row of
    them is first listed on one of these (file stats then skip the files of other days)."""
    source = pl.concat([AUTHOR_PAPERS.conform(rows).with_columns(_removed=pl.lit(False)), gone.with_columns(_removed=pl.lit(True))], how="diagonal")
    if source.is_empty():
        return {}
    predicate = "t.paper_id = s.paper_id AND t.author_key = s.author_key" + (f" AND {sql_within('t.first_listed_date', days)}" if days else "")
    return writes.committing(lake, AUTHOR_PAPERS.name, lambda: (
        lake.delta(AUTHOR_PAPERS.name)
        .merge(source.to_arrow(), predicate, source_alias="s", target_alias="t", commit_properties=commit.properties())
        .when_matched_delete("s._removed")
        .when_matched_update_all("NOT s._removed", except_cols=["_removed"])
        .when_not_matched_insert_all("NOT s._removed", except_cols=["_removed"])
        .execute()
    ))


def author_papers_in_window(lake: Lake, start_date: date | None, end_date: date | None, author_keys: pl.Expr | None = None) -> pl.DataFrame | None:
    """`author_papers` rows that may have a listing between the two days (None without a window)."""
    if start_date is None and end_date is None:
        return None
    if not lake.has_table(AUTHOR_PAPERS.name):
        return AUTHOR_PAPERS.empty_frame()
    rows = lake.scan(AUTHOR_PAPERS.name)
    if end_date is not None:  # first listings are the files' order: later files are skipped
        rows = rows.filter(pl.col("first_listed_date") <= end_date)
    if start_date is not None:
        rows = rows.filter(pl.col("last_listed_date") >= start_date)
    return (rows if author_keys is None else rows.filter(author_keys)).collect()


def sightings_in_weeks(lake: Lake, weeks: list[date]) -> pl.DataFrame:
    """paper_id, feed, snapshot_date of every sighting in these weeks (file stats skip the others)."""
    if not weeks:
        return pl.DataFrame(schema={"paper_id": pl.String, "feed": pl.String, "snapshot_date": pl.Date})
    in_weeks = pl.any_horizontal(pl.col("snapshot_date").is_between(week, week + timedelta(days=WEEK_DAYS - 1)) for week in weeks)
    bounds = (pl.col("snapshot_date") >= min(weeks)) & (pl.col("snapshot_date") <= max(weeks) + timedelta(days=WEEK_DAYS - 1))
    return lake.scan(SIGHTINGS.name).filter(bounds & in_weeks).select("paper_id", "feed", "snapshot_date").collect()


def paper_facts(lake: Lake, paper_ids: list[str]) -> pl.DataFrame:
    """paper_id, categories, keywords, upvotes of these papers (their current rows): what topics are made of.

    A week's listings include v2s of papers months old, so this reads tens of thousands of rows across
    months of files: not the authors lists too (a tenth of the read), which topics do not use.
    """
    wanted = pl.col("paper_id").is_in(paper_ids)
    return lake.scan(PAPERS.name).filter(wanted).select("paper_id", "categories", "keywords", "upvotes").collect()


def all_papers_and_sightings(lake: Lake) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What a full rebuild reads: every papers row's facts and every sighting's paper, feed and day."""
    papers = lake.scan(PAPERS.name).select("paper_id", "authors", "categories", "keywords", "upvotes").collect()
    sightings = lake.scan(SIGHTINGS.name).select("paper_id", "feed", "snapshot_date").collect()
    return papers, sightings


def merge_authors(lake: Lake, rows: pl.DataFrame, removed_keys: list[str], commit: writes.CommitInfo, follows_version: int, read_version: int) -> dict:
    """Insert or replace the rows of these author keys; delete `removed_keys` (left with no paper).
    `follows_version`: the author_papers version these rows go with (the next one). `read_version`:
    the authors version the rows were computed from; AuthorsMoved if another commit landed since
    (also when one wins the commit race: the redo finds the table moved)."""
    from deltalake import Transaction

    removed = pl.DataFrame({"author_key": removed_keys}, schema={"author_key": pl.String})
    source = pl.concat(
        [AUTHORS.conform(rows).with_columns(_removed=pl.lit(False)), removed.with_columns(_removed=pl.lit(True))], how="diagonal"
    )
    if source.is_empty():
        return {}

    def merge() -> dict:
        table = lake.delta(AUTHORS.name)
        if table.version() != read_version:
            raise AuthorsMoved
        return (
            table.merge(
                source.to_arrow(), "t.author_key = s.author_key", source_alias="s", target_alias="t",
                commit_properties=commit.properties(Transaction(FOLLOWS, follows_version)),
            )
            .when_matched_delete("s._removed")
            .when_matched_update_all("NOT s._removed", except_cols=["_removed"])
            .when_not_matched_insert_all("NOT s._removed", except_cols=["_removed"])
            .execute()
        )

    return writes.committing(lake, AUTHORS.name, merge)


def merge_topics(lake: Lake, rows_of: Callable[[], pl.DataFrame], weeks: list[date], commit: writes.CommitInfo) -> pl.DataFrame:
    """Make `topics` hold exactly the rows `rows_of()` computes for these weeks: update, insert, and
    delete what they no longer have. Returns the rows merged.

    `rows_of` reads sightings and papers, and runs again on every attempt: the table version is
    taken before it reads, so a concurrent load that landed sightings after that read and merged
    its own topics since makes this commit conflict, and the redo reads them. Merging rows computed
    once, on a redo or against a table brought forward after the read, would put back a week
    without the other load's papers (the last writer's stale rows would win).
    """
    if not weeks:
        return rows_of()
    listed = ", ".join(f"'{week.isoformat()}'" for week in weeks)
    in_weeks = f"t.week_start_date IN ({listed})"

    def attempt() -> pl.DataFrame:
        table = lake.delta(TOPICS.name)  # pinned before the reads: see above
        rows = rows_of()
        (
            table.merge(
                TOPICS.conform(rows).to_arrow(),
                f"t.week_start_date = s.week_start_date AND t.kind = s.kind AND t.topic = s.topic AND {in_weeks}",
                source_alias="s", target_alias="t", commit_properties=commit.properties(),
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .when_not_matched_by_source_delete(in_weeks)
            .execute()
        )
        return rows

    return writes.committing(lake, TOPICS.name, attempt)


class GoldMoved(Exception):
    """A load filled the gold tables while this one computed them whole from an earlier read."""


def replace_all(
    lake: Lake, author_papers: pl.DataFrame, authors: pl.DataFrame, topics: pl.DataFrame, commit: writes.CommitInfo,
    unless_written_after: int | None = None,
) -> None:
    """A full rebuild: the tables overwritten with what was computed from every paper and sighting
    (`author_papers` in first-listed order). The schema too: a lake from before author_papers loses
    the old authors columns.

    `unless_written_after`: the `authors` version read before computing, on a lake no load had filled;
    GoldMoved, with nothing overwritten, if a concurrent load has filled or moved them since (its
    rows would be lost). The check sits in the `authors` commit, which conflicts with any concurrent
    one (both carry FOLLOWS), so a redo after a lost race checks again."""
    from deltalake import Transaction, write_deltalake

    def check_unwritten() -> None:
        if unless_written_after is not None and (not never_written(lake) or authors_version(lake) != unless_written_after):
            raise GoldMoved

    follows = Transaction(FOLLOWS, author_papers_version(lake) + 1)
    for spec, rows in ((AUTHORS, authors), (AUTHOR_PAPERS, author_papers), (TOPICS, topics)):
        def overwrite(spec=spec, rows=rows) -> None:
            if spec is AUTHORS:
                check_unwritten()
            write_deltalake(
                lake.table_uri(spec.name), spec.conform(rows).to_arrow(), mode="overwrite", schema_mode="overwrite",
                storage_options=lake.storage_options, commit_properties=commit.properties(follows if spec is AUTHORS else None),
            )
        writes.committing(lake, spec.name, overwrite)


def replace_authors(lake: Lake, authors: pl.DataFrame, commit: writes.CommitInfo) -> None:
    """`authors` overwritten, going with the current author_papers (the repair of a step that died)."""
    from deltalake import Transaction, write_deltalake

    follows = Transaction(FOLLOWS, author_papers_version(lake))
    writes.committing(lake, AUTHORS.name, lambda: write_deltalake(
        lake.table_uri(AUTHORS.name), AUTHORS.conform(authors).to_arrow(), mode="overwrite",
        storage_options=lake.storage_options, commit_properties=commit.properties(follows),
    ))
