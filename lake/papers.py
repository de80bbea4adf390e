"""Writing `papers`: summaries of every sighting of the papers a load touched, merged until they hold.

A concurrent run may add sightings of the same papers while they are summarized; the summary is
then redone from a fresh read, like any write here that lost to a concurrent commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import polars as pl

from lake import writes
from lake.schemas import SIGHTINGS
from lake.store import Lake

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
    sightings files that can hold these papers are read (see writes.sightings_floor).
    """
    written = PapersWritten(pl.DataFrame())
    if not paper_ids:
        return written
    known: set[str] | None = None
    updated_ids: set[str] = set()
    for _ in range(PAPERS_ROUNDS):
        sightings_version = writes.table_version(lake, SIGHTINGS.name)
        since = writes.sightings_floor(lake, sorted(paper_ids | removed_candidates)) if bounded else None
        papers = summarize(writes.sightings_of(lake, sorted(paper_ids), since=since))
        summarized = set(papers["paper_id"].to_list())
        gone = removed_candidates | (paper_ids - summarized - keep_ids)
        # Only the rows that differ from the stored ones are merged: a refetched day lists mostly unchanged papers.
        metrics = writes.upsert_papers(lake, papers, commit, removed_ids=sorted(gone), skip_unchanged=True)
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
    # Earliest first: a run listing only its first new papers takes a prefix of each load's (flows/backfill.py).
    new_ids = papers.filter(pl.col("paper_id").is_in(list(summarized - known))).sort("first_seen_date", "paper_id")
    written.new_paper_ids = new_ids["paper_id"].to_list()
    written.updated_count = len(updated_ids - set(gone))
    written.removed_count = metrics.get("num_target_rows_deleted", 0)
    written.removed_paper_ids = sorted(gone)
    return written
