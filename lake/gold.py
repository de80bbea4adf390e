"""Reading and writing the gold tables `authors` and `topics`: only the keys and weeks a load touched.

Each write is one MERGE on the table's key. `authors` rows of keys left without papers are deleted
in the same MERGE; `topics` rows of the weeks rewritten that no longer have any paper are deleted by
`when_not_matched_by_source_delete`, restricted to those weeks.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from lake import writes
from lake.schemas import AUTHORS, PAPERS, SIGHTINGS, TOPICS
from lake.store import Lake

WEEK_DAYS = 7


def never_written(lake: Lake) -> bool:
    """True while `authors` is as ensure_tables created it (version 0): no load has filled it yet."""
    return lake.has_table(AUTHORS.name) and lake.delta(AUTHORS.name).version() == 0


def scan_gold(lake: Lake, name: str) -> pl.LazyFrame | None:
    """`authors` or `topics` to read, or None on a lake no load has given them yet."""
    return lake.scan(name) if lake.has_table(name) else None


def authors_of_keys(lake: Lake, author_keys: list[str]) -> pl.DataFrame:
    if not author_keys or not lake.has_table(AUTHORS.name):
        return AUTHORS.empty_frame()
    return lake.scan(AUTHORS.name).filter(pl.col("author_key").is_in(author_keys)).collect()


def author_keys_listing(lake: Lake, paper_ids: list[str]) -> set[str]:
    """Keys of the authors whose rows list any of these papers. A whole-table read: only for papers a
    load removed (a merge, a reparse that dropped them), whose sightings no longer name their authors."""
    if not paper_ids or not lake.has_table(AUTHORS.name):
        return set()
    ids = pl.col("paper_listings").list.eval(pl.element().struct.field("paper_id").is_in(paper_ids)).list.any()
    return set(lake.scan(AUTHORS.name).filter(ids).select("author_key").collect()["author_key"].to_list())


def sightings_in_weeks(lake: Lake, weeks: list[date]) -> pl.DataFrame:
    """paper_id, feed, snapshot_date of every sighting in these weeks (file stats skip the others)."""
    if not weeks:
        return pl.DataFrame(schema={"paper_id": pl.String, "feed": pl.String, "snapshot_date": pl.Date})
    in_weeks = pl.any_horizontal(pl.col("snapshot_date").is_between(week, week + timedelta(days=WEEK_DAYS - 1)) for week in weeks)
    bounds = (pl.col("snapshot_date") >= min(weeks)) & (pl.col("snapshot_date") <= max(weeks) + timedelta(days=WEEK_DAYS - 1))
    return lake.scan(SIGHTINGS.name).filter(bounds & in_weeks).select("paper_id", "feed", "snapshot_date").collect()


def paper_facts(lake: Lake, paper_ids: list[str]) -> pl.DataFrame:
    """paper_id, authors, categories, keywords, upvotes of these papers (their current rows)."""
    wanted = pl.col("paper_id").is_in(paper_ids)
    return lake.scan(PAPERS.name).filter(wanted).select("paper_id", "authors", "categories", "keywords", "upvotes").collect()


def all_papers_and_sightings(lake: Lake) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What a full rebuild reads: every papers row's facts and every sighting's paper, feed and day."""
    papers = lake.scan(PAPERS.name).select("paper_id", "authors", "categories", "keywords", "upvotes").collect()
    sightings = lake.scan(SIGHTINGS.name).select("paper_id", "feed", "snapshot_date").collect()
    return papers, sightings


def merge_authors(lake: Lake, rows: pl.DataFrame, removed_keys: list[str], commit: writes.CommitInfo) -> dict:
    """Insert or replace the rows of these author keys; delete `removed_keys` (left with no paper)."""
    removed = pl.DataFrame({"author_key": removed_keys}, schema={"author_key": pl.String})
    source = pl.concat(
        [AUTHORS.conform(rows).with_columns(_removed=pl.lit(False)), removed.with_columns(_removed=pl.lit(True))], how="diagonal"
    )
    if source.is_empty():
        return {}
    return writes.committing(lake, AUTHORS.name, lambda: (
        lake.delta(AUTHORS.name)
        .merge(source.to_arrow(), "t.author_key = s.author_key", source_alias="s", target_alias="t", commit_properties=commit.properties())
        .when_matched_delete("s._removed")
        .when_matched_update_all("NOT s._removed", except_cols=["_removed"])
        .when_not_matched_insert_all("NOT s._removed", except_cols=["_removed"])
        .execute()
    ))


def merge_topics(lake: Lake, rows: pl.DataFrame, weeks: list[date], commit: writes.CommitInfo) -> dict:
    """Make `topics` hold exactly `rows` for these weeks: update, insert, and delete what they no longer have."""
    if not weeks:
        return {}
    listed = ", ".join(f"'{week.isoformat()}'" for week in weeks)
    in_weeks = f"t.week_start_date IN ({listed})"
    return writes.committing(lake, TOPICS.name, lambda: (
        lake.delta(TOPICS.name)
        .merge(
            TOPICS.conform(rows).to_arrow(),
            f"t.week_start_date = s.week_start_date AND t.kind = s.kind AND t.topic = s.topic AND {in_weeks}",
            source_alias="s", target_alias="t", commit_properties=commit.properties(),
        )
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .when_not_matched_by_source_delete(in_weeks)
        .execute()
    ))


def replace_all(lake: Lake, authors: pl.DataFrame, topics: pl.DataFrame, commit: writes.CommitInfo) -> None:
    """A full rebuild: both tables overwritten with what was computed from every paper and sighting."""
    from deltalake import write_deltalake

    for spec, rows in ((AUTHORS, authors), (TOPICS, topics)):
        writes.committing(lake, spec.name, lambda spec=spec, rows=rows: write_deltalake(
            lake.table_uri(spec.name), spec.conform(rows).to_arrow(), mode="overwrite",
            storage_options=lake.storage_options, commit_properties=commit.properties(),
        ))
