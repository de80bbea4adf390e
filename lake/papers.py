"""Writing `papers`: summaries of every sighting of the papers a load touched, merged until they hold;
the MERGE itself (upsert_papers), and the reads of papers by title that link title-only papers.

A concurrent run may add sightings of the same papers while they are summarized; the summary is
then redone from a fresh read, like any write here that lost to a concurrent commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import polars as pl
from deltalake import DeltaTable, Transaction

from lake import sighting_writes, writes
from lake.day_ranges import of_days, sql_within
from lake.schemas import PAPERS, SIGHTINGS
from lake.store import Lake
from transforms.identity import prefix_range

# Rounds of summarize-and-merge before giving up (a few at most, in practice).
PAPERS_ROUNDS = 20


@dataclass
class PapersWritten:
    papers: pl.DataFrame  # the rows merged in the last round
    new_paper_ids: list[str] = field(default_factory=list)  # earliest first seen first, then by id
    inserted_count: int = 0
    updated_count: int = 0
    removed_count: int = 0
    removed_paper_ids: list[str] = field(default_factory=list)  # papers deleted (their sightings moved to another)
    sightings_version: int | None = None  # the `sightings` version the rows were summarized from


def write_papers(
    lake: Lake,
    paper_ids: set[str],
    removed_candidates: set[str],
    summarize: Callable[[pl.DataFrame], pl.DataFrame],
    commit: writes.CommitInfo,
    *,
    bounded: bool = True,
    keep_ids: set[str] = frozenset(),
) -> PapersWritten:
    """Summarize every sighting of `paper_ids` with `summarize` (sightings in, papers rows out) and merge.

    Papers among `paper_ids` left with no row (all their sightings moved to another id), and every
    id of `removed_candidates` not in `keep_ids`, are deleted in the same MERGE. With `bounded`, only
    sightings files that can hold these papers are read (see sighting_writes.sightings_days).
    """
    written = PapersWritten(pl.DataFrame())
    if not paper_ids:
        return written
    known: set[str] | None = None
    updated_ids: set[str] = set()
    for _ in range(PAPERS_ROUNDS):
        sightings_version = writes.table_version(lake, SIGHTINGS.name)
        days = sighting_writes.sightings_days(lake, sorted(paper_ids | removed_candidates)) if bounded else None
        papers = summarize(sighting_writes.sightings_of(lake, sorted(paper_ids), days=days))
        summarized = set(papers["paper_id"].to_list())
        gone = removed_candidates | (paper_ids - summarized - keep_ids)
        # Only the rows that differ from the stored ones are merged: a refetched day lists mostly unchanged papers.
        metrics = upsert_papers(lake, papers, commit, removed_ids=sorted(gone), skip_unchanged=True)
        if known is None:
            known = set(metrics.get("stored_paper_ids", ()))
        # Papers stored before this load whose row a round changed (a redone round finds them as it left them).
        updated_ids |= known & set(metrics.get("changed_paper_ids", ()))
        written.inserted_count += metrics.get("num_target_rows_inserted", 0)
        if writes.table_version(lake, SIGHTINGS.name) == sightings_version:
            break
    else:  # the batch stays pending, so the next run redoes it
        raise writes.LakeWriteError(f"table 'papers' in {lake.uri}: sightings kept changing under {PAPERS_ROUNDS} summaries")
    written.papers = papers
    written.sightings_version = sightings_version
    # Earliest first: a run listing only its first new papers takes a prefix of each load's (flows/backfill.py).
    new_ids = papers.filter(pl.col("paper_id").is_in(list(summarized - known))).sort("first_seen_date", "paper_id")
    written.new_paper_ids = new_ids["paper_id"].to_list()
    written.updated_count = len(updated_ids - set(gone))
    written.removed_count = metrics.get("num_target_rows_deleted", 0)
    written.removed_paper_ids = sorted(gone)
    return written


def upsert_papers(lake: Lake, papers: pl.DataFrame, commit: writes.CommitInfo, removed_ids: list[str] = (), skip_unchanged: bool = False) -> dict:
    """One MERGE: insert or update `papers`, and delete the rows of `removed_ids` (papers merged into others).

    `skip_unchanged`: rows equal to the stored ones are left out of the MERGE (a refetched day
    re-summarizes every paper it lists, most of them as they were), so the files holding only those
    are neither rewritten nor listed in the change feed; nothing is committed when nothing changed.
    The metrics then also list `stored_paper_ids` (the given papers that had a row) and
    `changed_paper_ids` (those merged: new or changed).
    """
    # Removed rows carry only their key (the other columns null): a Series cannot be added to an empty frame.
    removed = pl.DataFrame({"paper_id": list(removed_ids)}, schema={"paper_id": pl.String})
    source = pl.concat(
        [PAPERS.conform(papers).with_columns(_removed=pl.lit(False)), removed.with_columns(_removed=pl.lit(True))], how="diagonal"
    )
    if source.is_empty():
        return {}

    def merge() -> dict:
        # Only files that can hold a row of these papers: a stored row lies on its stored
        # first_seen_date, read here (the new rows' days too, so a batch of new papers alone still
        # names its days), and file stats skip the files of other days. Those days, not every day
        # since the earliest: one paper first seen years ago made this MERGE read every file since
        # (3.5 GB on a ten-year lake). The guard turns any concurrent papers commit into a conflict
        # (redone from a fresh read), since its rows may lie outside the files this MERGE reads, or
        # change the rows found unchanged here.
        table = lake.delta(PAPERS.name)
        stored = _stored_papers(table, source, whole_rows=skip_unchanged)
        days = of_days(pl.concat([source["first_seen_date"], stored["first_seen_date"]]))
        changed = source.join(stored, on=PAPERS.column_names, how="anti", nulls_equal=True) if skip_unchanged else source
        extra = {
            "stored_paper_ids": stored["paper_id"].to_list(),
            "changed_paper_ids": changed.filter(~pl.col("_removed"))["paper_id"].to_list(),
        } if skip_unchanged else {}
        if changed.is_empty():
            return extra
        predicate = "t.paper_id = s.paper_id" + (f" AND {sql_within('t.first_seen_date', days)}" if days else "")
        guard = Transaction("paperlake.upsert.papers", table.version() + 1)
        metrics = (
            table.merge(changed.to_arrow(), predicate, source_alias="s", target_alias="t", commit_properties=commit.properties(guard))
            .when_matched_delete("s._removed")
            .when_matched_update_all("NOT s._removed", except_cols=["_removed"])
            .when_not_matched_insert_all("NOT s._removed", except_cols=["_removed"])
            .execute()
        )
        return metrics | extra

    return writes.committing(lake, PAPERS.name, merge)


def _stored_papers(table: DeltaTable, source: pl.DataFrame, whole_rows: bool) -> pl.DataFrame:
    """The stored rows of the source's papers: whole (to compare), or just their keys and first_seen_date."""
    stored = pl.scan_delta(table).filter(pl.col("paper_id").is_in(source["paper_id"].to_list()))
    if whole_rows:  # in the declared types, as the source is: equal rows then join
        return PAPERS.conform(stored.select(PAPERS.column_names).collect())
    return stored.select("paper_id", "first_seen_date").collect()


def arxiv_titles(lake: Lake, title_keys: list[str]) -> pl.DataFrame:
    """title_key and arxiv_id of the papers that have an arXiv id and one of `title_keys`.

    Nothing is read for no keys: every title of a ten-year lake is 1.5 s of CPU, and a load of the
    live feeds (every row with its arXiv id) needs none.
    """
    if not title_keys:
        return pl.DataFrame(schema={"title_key": pl.String, "arxiv_id": pl.String})
    wanted = pl.col("title_key").is_in(title_keys) & pl.col("arxiv_id").is_not_null()
    return lake.scan(PAPERS.name).filter(wanted).select("title_key", "arxiv_id").collect()


def papers_with_title_keys(lake: Lake, title_keys: list[str], id_prefix: str = "") -> pl.DataFrame:
    """paper_id and title_key of the papers with one of `title_keys` whose id starts with `id_prefix`.

    The prefix is said as a range of ids, so file statistics skip the files holding none: title-only
    ids ("title:...") sort after arXiv ids, and a lake fed by the live feeds alone has none to read.
    """
    if not title_keys:
        return pl.DataFrame(schema={"paper_id": pl.String, "title_key": pl.String})
    wanted = pl.col("title_key").is_in(title_keys)
    if id_prefix:
        wanted = prefix_range("paper_id", id_prefix) & wanted
    return lake.scan(PAPERS.name).filter(wanted).select("paper_id", "title_key").collect()
