"""Writes and reads of `sightings` (silver): a load's sightings appended once, the sightings of given
papers (read only where they can be), title-only papers' sightings moved to their arXiv id, and a
reparse's sightings swapped in.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from deltalake import write_deltalake

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


def sightings_of(lake: Lake, paper_ids: list[str], since: date | None = None) -> pl.DataFrame:
    """Every sighting of `paper_ids`; with `since` (see sightings_floor), only files that can hold one are read."""
    wanted = pl.col("paper_id").is_in(paper_ids)
    return lake.scan(SIGHTINGS.name).filter(wanted if since is None else wanted & (pl.col("snapshot_date") >= since)).collect()


def sightings_floor(lake: Lake, paper_ids: list[str]) -> date | None:
    """A day no sighting of `paper_ids` is older than, or None if none is known.

    A paper's sightings date from its first_seen_date on, unless a load has not finished: its
    snapshots are still `pending` (a load marks them last), and its sightings may predate what
    `papers` says, or belong to papers not in it yet. A reparse replaces sightings of snapshots
    that are not pending: do not bound its reads.
    """
    found_count, first_seen = (
        lake.scan(PAPERS.name).filter(pl.col("paper_id").is_in(paper_ids))
        .select(pl.col("paper_id").n_unique(), pl.col("first_seen_date").min()).collect().row(0)
    )
    pending = lake.scan(SNAPSHOTS.name).filter(pl.col("parse_status") == "pending").select(pl.col("snapshot_date").min()).collect().item()
    if found_count < len(set(paper_ids)) and pending is None:
        return None  # papers with neither a row nor an unfinished load: nothing bounds their sightings
    return min((d for d in (first_seen, pending) if d is not None), default=None)


def relink_sightings(lake: Lake, mapping: pl.DataFrame, commit: CommitInfo, since: date | None = None) -> dict:
    """Move the sightings of old_paper_id to arxiv_id (a title-only paper whose arXiv id arrived).

    With `since` (sightings_floor of the old ids), only files that can hold their sightings are read.
    """
    if mapping.is_empty():
        return {}
    predicate = "t.paper_id = s.old_paper_id" + (f" AND t.snapshot_date >= '{since.isoformat()}'" if since else "")
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
