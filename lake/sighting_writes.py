"""Writes and reads of `sightings` (silver): a load's sightings appended once, the sightings of given
papers (read only where they can be), title-only papers' sightings moved to their arXiv id, and a
reparse's sightings swapped in.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from deltalake import write_deltalake

from lake.day_ranges import DayRanges, day_ranges, joined, of_days, sql_within, within
from lake.schemas import PAPERS, SIGHTINGS, SNAPSHOTS
from lake.snapshot_writes import snapshot_filter
from lake.store import Lake
from lake.writes import CommitInfo, append_missing, committing


def store_sightings(lake: Lake, sightings: pl.DataFrame, commit: CommitInfo) -> int:
    """Append sightings of snapshots that have none yet: a snapshot's sightings land in one commit, so any row means all."""
    if sightings.is_empty():
        return 0
    ids = sightings["snapshot_id"].unique().to_list()
    # A snapshot's sightings carry its day, so file stats skip every file of other days (snapshot ids
    # are hashes, which no file's range excludes: the check read all 5.8 M ids of a ten-year lake).
    # The day a snapshot was first stored counts too: an id is a content hash, and the same content
    # listed for another day (a load that died after writing its sightings) keeps its first day's rows.
    stored = lake.scan(SNAPSHOTS.name).filter(pl.col("snapshot_id").is_in(ids)).select("snapshot_date").collect()["snapshot_date"]
    dates = pl.concat([sightings["snapshot_date"], stored])
    days = pl.col("snapshot_date").is_between(dates.min(), dates.max())

    def missing(table: pl.LazyFrame) -> pl.DataFrame:
        done = table.filter(days & pl.col("snapshot_id").is_in(ids)).select("snapshot_id").unique().collect()
        return sightings.filter(~pl.col("snapshot_id").is_in(done["snapshot_id"].to_list()))

    return append_missing(lake, SIGHTINGS, missing, commit)


def sightings_of(lake: Lake, paper_ids: list[str], days: DayRanges | None = None) -> pl.DataFrame:
    """Every sighting of `paper_ids`; with `days` (see sightings_days), only files that can hold one are read."""
    wanted = pl.col("paper_id").is_in(paper_ids)
    return lake.scan(SIGHTINGS.name).filter(wanted if days is None else wanted & within("snapshot_date", days)).collect()


def sightings_days(lake: Lake, paper_ids: list[str]) -> DayRanges | None:
    """Days every sighting of `paper_ids` lies in, as a few ranges; None if nothing bounds them.

    A paper's sightings lie between its first_seen_date and last_seen_date, unless a load has not
    finished: its snapshots are still `pending` (a load marks them last), and its sightings may lie
    outside what `papers` says, or belong to papers not in it yet. So: each paper's span, and the
    days of pending snapshots. Spans, not the earliest day on: one paper first seen years ago made
    a load read every file since. A reparse replaces sightings of snapshots that are not pending:
    do not bound its reads.
    """
    # Pending first: a load that finishes between the two reads has merged its papers rows by then.
    pending = lake.scan(SNAPSHOTS.name).filter(pl.col("parse_status") == "pending").select("snapshot_date").unique().collect()
    spans = (
        lake.scan(PAPERS.name).filter(pl.col("paper_id").is_in(paper_ids))
        .select("paper_id", pl.col("first_seen_date").alias("start_date"), pl.col("last_seen_date").alias("end_date")).collect()
    )
    if spans["paper_id"].n_unique() < len(set(paper_ids)) and pending.is_empty():
        return None  # papers with neither a row nor an unfinished load: nothing bounds their sightings
    return joined(day_ranges(spans), of_days(pending["snapshot_date"]))


def relink_sightings(lake: Lake, mapping: pl.DataFrame, commit: CommitInfo, days: DayRanges | None = None) -> dict:
    """Move the sightings of old_paper_id to arxiv_id (a title-only paper whose arXiv id arrived).

    With `days` (sightings_days of the old ids), only files that can hold their sightings are read.
    """
    if mapping.is_empty():
        return {}
    predicate = "t.paper_id = s.old_paper_id" + (f" AND {sql_within('t.snapshot_date', days)}" if days is not None else "")
    return committing(lake, SIGHTINGS.name, lambda: (
        lake.delta(SIGHTINGS.name)
        .merge(mapping.to_arrow(), predicate, source_alias="s", target_alias="t", commit_properties=commit.properties())
        .when_matched_update({"paper_id": "s.arxiv_id", "arxiv_id": "s.arxiv_id"})
        .execute()
    ))


def paper_ids_seen(lake: Lake, feed: str | None = None, since: date | None = None) -> list[str]:
    expr, _ = snapshot_filter(feed, since)
    return lake.scan(SIGHTINGS.name).filter(expr).select("paper_id").unique().collect()["paper_id"].to_list()


def replace_sightings(lake: Lake, sightings: pl.DataFrame, feed: str | None, since: date | None, commit: CommitInfo) -> int:
    """Atomically swap every sighting of the selected snapshots for `sightings` (one commit)."""
    _, predicate = snapshot_filter(feed, since)
    committing(lake, SIGHTINGS.name, lambda: write_deltalake(
        lake.table_uri(SIGHTINGS.name),
        SIGHTINGS.conform(sightings).to_arrow(),
        mode="overwrite",
        predicate=predicate,
        storage_options=lake.storage_options,
        commit_properties=commit.properties(),
    ))
    return sightings.height
